package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// stored is one item of a batch as the store holds it, and whether this call
// created it.
type stored[T any] struct {
	item    T
	created bool
}

// onceBatch is the external_id rule shared by responses and comparisons: an item
// whose external_id is stored (or repeats earlier in the batch) is not created
// again; the stored one is returned in its place. Results keep input order.
type onceBatch[In, T any] struct {
	extOf   func(In) string
	extOfT  func(T) string
	idOf    func(T) domain.ID
	fetch   func(ctx context.Context, externalIDs []string) ([]T, error)
	build   func(i int, x In) (T, error)
	prepare func(ctx context.Context, fresh []T) error
	insert  func(ctx context.Context, fresh []T) ([]domain.ID, error)
}

func (b onceBatch[In, T]) run(ctx context.Context, in []In) ([]stored[T], error) {
	firstAt := map[string]int{}
	var externals []string
	for i, x := range in {
		ext := b.extOf(x)
		if ext == "" {
			continue
		}
		if _, seen := firstAt[ext]; !seen {
			firstAt[ext] = i
			externals = append(externals, ext)
		}
	}
	existing, err := b.byExternal(ctx, externals)
	if err != nil {
		return nil, err
	}
	out := make([]stored[T], len(in))
	var fresh []T
	var freshAt []int
	var errs []error
	for i, x := range in {
		if ext := b.extOf(x); ext != "" {
			if s, ok := existing[ext]; ok {
				out[i] = stored[T]{item: s}
				continue
			}
			if firstAt[ext] != i {
				continue // filled in from its first occurrence below
			}
		}
		t, err := b.build(i, x)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fresh = append(fresh, t)
		freshAt = append(freshAt, i)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if b.prepare != nil {
		if err := b.prepare(ctx, fresh); err != nil {
			return nil, err
		}
	}
	inserted, err := b.insert(ctx, fresh)
	if err != nil {
		return nil, err
	}
	created := make(map[domain.ID]bool, len(inserted))
	for _, id := range inserted {
		created[id] = true
	}
	// A concurrent request may have stored some of the same external ids first:
	// what it stored is the answer.
	var lost []string
	for k, t := range fresh {
		if created[b.idOf(t)] {
			out[freshAt[k]] = stored[T]{item: t, created: true}
		} else {
			lost = append(lost, b.extOfT(t))
		}
	}
	if len(lost) > 0 {
		won, err := b.byExternal(ctx, lost)
		if err != nil {
			return nil, err
		}
		for k, t := range fresh {
			if !created[b.idOf(t)] {
				out[freshAt[k]] = stored[T]{item: won[b.extOfT(t)]}
			}
		}
	}
	// Repeats within the batch get what their first occurrence got, not "created".
	for i, x := range in {
		if ext := b.extOf(x); ext != "" && firstAt[ext] != i && b.idOf(out[i].item).IsZero() {
			out[i] = stored[T]{item: out[firstAt[ext]].item}
		}
	}
	return out, nil
}

func (b onceBatch[In, T]) byExternal(ctx context.Context, ids []string) (map[string]T, error) {
	out := map[string]T{}
	if len(ids) == 0 {
		return out, nil
	}
	items, err := b.fetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range items {
		out[b.extOfT(t)] = t
	}
	return out, nil
}

// lookupByRef finds one item of an evaluation by id or, failing that, by external id.
func lookupByRef[T any](ctx context.Context, e domain.Evaluation, what, ref string,
	byID func(ctx context.Context, evalID domain.ID, ids []domain.ID) ([]T, error),
	byExternal func(ctx context.Context, evalID domain.ID, ids []string) ([]T, error)) (T, error) {
	var zero T
	if id, err := domain.ParseID(ref); err == nil {
		items, err := byID(ctx, e.ID, []domain.ID{id})
		if err != nil {
			return zero, err
		}
		if len(items) == 1 {
			return items[0], nil
		}
	}
	items, err := byExternal(ctx, e.ID, []string{ref})
	if err != nil {
		return zero, err
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return zero, fmt.Errorf("%s %q in evaluation %q: %w", what, ref, e.Name, domain.ErrNotFound)
}

// listPage fetches limit+1 items to learn whether there is a next page, and returns
// the page with its cursor.
func listPage[T any](items []T, limit int, list string, idOf func(T) domain.ID) domain.Page[T] {
	var page domain.Page[T]
	if len(items) > limit {
		items = items[:limit]
		page.Next = encodeCursor(list, "", idOf(items[limit-1]))
	}
	page.Items = items
	return page
}
