package app

import (
	"context"
	"slices"
	"testing"
)

// pullChunks pulls seq's chunks, at most limit of them (all when limit is 0), and
// returns their items.
func pullChunks(t *testing.T, seq func(func(pending[int], error) bool), limit int) []int {
	t.Helper()
	var got []int
	n := 0
	for p, err := range seq {
		if err != nil {
			t.Fatalf("chunk %d: %v", n, err)
		}
		got = append(got, p.items...)
		if n++; n == limit {
			break
		}
		if n > 10 {
			t.Fatalf("more than 10 chunks pulled (%v): the sequence does not end", got)
		}
	}
	return got
}

// A transaction run again after a deadlock iterates the same sequence again and
// must see every chunk the first run pulled: the reader sent them once and has
// closed its channel.
func TestChunksReplayEveryPulledChunk(t *testing.T) {
	t.Parallel()
	in := make(chan chunk[int], 2)
	in <- chunk[int]{fresh: []int{2}}
	in <- chunk[int]{fresh: []int{3}, last: true}
	close(in)
	w := chunkWriter[int, int]{in: in}
	ctx := context.Background()
	seq := w.chunks(ctx, chunk[int]{fresh: []int{1}})
	if got := pullChunks(t, seq, 2); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("first run pulled %v, want [1 2]", got)
	}
	if got := pullChunks(t, seq, 0); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("second run pulled %v, want [1 2 3]", got)
	}
	if got := pullChunks(t, seq, 0); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("third run pulled %v, want [1 2 3]", got)
	}
}

// A reader that closes its channel without a last chunk on a live context is an
// error, never an empty chunk to loop on.
func TestReceiveFromAClosedReader(t *testing.T) {
	t.Parallel()
	in := make(chan chunk[int])
	close(in)
	w := chunkWriter[int, int]{in: in}
	if c, err := w.receive(context.Background(), 0); err == nil {
		t.Errorf("receive = %+v, nil; want an error", c)
	}
}
