package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// Version is the program's version, set at build time with
// -ldflags "-X github.com/rlhf-eval/rlhf-eval/internal/adapters/cli.Version=...".
var Version = "dev"

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: "  rlhf-eval version",
		Args:    exactArgs(0, "version takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := Version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						v += "+" + s.Value[:12]
					}
				}
				v += " " + bi.GoVersion
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "rlhf-eval %s\n", v)
			return err
		},
	}
}

func loginCmd(env Env) *cobra.Command {
	var withKey bool
	cmd := &cobra.Command{
		Use:   "login --server URL [--with-key]",
		Short: "Store a server and API key for the commands that talk to the server",
		Long: `Check an API key against a server and store both in the login file, so that every
command that reads or writes data goes through that server's REST API. The key is read from
RLHF_API_KEY, or from standard input with --with-key (never from the command line, where it
would land in the shell's history). The file is readable by you only.`,
		Example: `  rlhf-eval login --server https://evals.example.com --with-key < key.txt
  RLHF_API_KEY=rlhf_... rlhf-eval login --server http://localhost:8080`,
		Args: exactArgs(0, "login takes no arguments; give --server URL"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flag("server")
			if f == nil || !f.Changed {
				return usageError("login needs --server URL")
			}
			key := env.APIKey
			if withKey {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && err != io.EOF {
					return err
				}
				key = strings.TrimSpace(line)
			}
			s, err := NewServer(f.Value.String(), key)
			if err != nil {
				return err
			}
			var page struct {
				Items []json.RawMessage `json:"items"`
			}
			if err := s.get(cmd.Context(), "/v1/evaluations", queryOf("limit", "1"), &page); err != nil {
				return fmt.Errorf("check the key against %s: %w", s.URL, err)
			}
			if env.LoginFile == "" {
				return usageError("no place for the login file: set HOME or XDG_CONFIG_HOME")
			}
			if err := writeLogin(env.LoginFile, login{Server: s.URL, APIKey: key}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "logged in to %s; saved in %s\n", s.URL, env.LoginFile)
			return nil
		},
	}
	cmd.Flags().BoolVar(&withKey, "with-key", false, "read the API key from standard input")
	return cmd
}

func logoutCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:     "logout",
		Short:   "Forget the stored server and API key",
		Example: "  rlhf-eval logout",
		Args:    exactArgs(0, "logout takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := readLogin(env.LoginFile)
			if err != nil || l.Server == "" {
				return err
			}
			return writeLogin(env.LoginFile, login{})
		},
	}
}

// evaluationRow is an evaluation as the API shows it.
type evaluationRow struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Scorers     []json.RawMessage `json:"scorers"`
	Metadata    map[string]any    `json:"metadata"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// printRows prints rows as a table, CSV or JSON (the items, one array).
func printRows[T any](w io.Writer, format string, items []T, head []string, row func(T) []string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []T{}
		}
		return enc.Encode(items)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(head)
		for _, it := range items {
			_ = cw.Write(row(it))
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, it := range items {
		fmt.Fprintln(tw, strings.Join(row(it), "\t"))
	}
	return tw.Flush()
}

func printJSON(w io.Writer, v any) error {
	if raw, ok := v.(json.RawMessage); ok {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") == nil {
			buf.WriteByte('\n')
			_, err := w.Write(buf.Bytes())
			return err
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// allPages follows next_cursor until the end, or until max items (0: no bound).
func allPages[T any](ctx context.Context, s *Server, path string, q map[string]string, max int) ([]T, error) {
	vals := queryOf()
	for k, v := range q {
		if v != "" {
			vals.Set(k, v)
		}
	}
	var out []T
	for {
		var p page[T]
		if err := s.get(ctx, path, vals, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if max > 0 && len(out) >= max {
			return out[:max], nil
		}
		if p.NextCursor == nil {
			return out, nil
		}
		vals.Set("cursor", *p.NextCursor)
	}
}

func evaluationsListCmd(env Env) *cobra.Command {
	var format, sort string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List evaluations (server mode)",
		Example: `  rlhf-eval evaluations list
  rlhf-eval evaluations list --sort -updated_at --limit 20 --format csv`,
		Args: exactArgs(0, "list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			return dual(cmd, env, func(s *Server) error {
				items, err := allPages[evaluationRow](cmd.Context(), s, "/v1/evaluations", map[string]string{"sort": sort, "limit": pageSize(limit)}, limit)
				if err != nil {
					return err
				}
				return printRows(cmd.OutOrStdout(), format, items, []string{"NAME", "ID", "SCORERS", "CREATED", "DESCRIPTION"},
					func(e evaluationRow) []string {
						return []string{e.Name, e.ID, strconv.Itoa(len(e.Scorers)), e.CreatedAt.Format(time.RFC3339), oneLine(e.Description, 60)}
					})
			}, nil)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().StringVar(&sort, "sort", "", "created_at, name or updated_at; a leading - sorts descending")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return cmd
}

// pageSize asks for pages no larger than the number wanted.
func pageSize(limit int) string {
	if limit > 0 && limit < 100 {
		return strconv.Itoa(limit)
	}
	return ""
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func evaluationsShowCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Show one evaluation as JSON (server mode)",
		Example: "  rlhf-eval evaluations show chat-v1",
		Args:    exactArgs(1, "show takes the evaluation's name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dual(cmd, env, func(s *Server) error {
				var raw json.RawMessage
				if err := s.get(cmd.Context(), evalPath(args[0]), nil, &raw); err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), raw)
			}, nil)
		},
	}
}

func evaluationsCreateCmd(env Env) *cobra.Command {
	var description, scorers, metadata string
	cmd := &cobra.Command{
		Use:   "create NAME [--description D] [--scorers JSON]",
		Short: "Create an evaluation (server mode)",
		Example: `  rlhf-eval evaluations create chat-v3 --description "checkpoint 3" \
      --scorers '[{"type": "refusal"}, {"type": "length", "pass": {"max": 60}}]'`,
		Args: exactArgs(1, "create takes the new evaluation's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0], "description": description}
			for flag, s := range map[string]string{"scorers": scorers, "metadata": metadata} {
				if s == "" {
					continue
				}
				var v any
				if err := json.Unmarshal([]byte(s), &v); err != nil {
					return usageError("--%s is not valid JSON: %v", flag, err)
				}
				body[flag] = v
			}
			return dual(cmd, env, func(s *Server) error {
				var raw json.RawMessage
				if err := s.postJSON(cmd.Context(), "/v1/evaluations", body, &raw); err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), raw)
			}, nil)
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the evaluation holds")
	cmd.Flags().StringVar(&scorers, "scorers", "", `scorer configurations as a JSON array, e.g. '[{"type": "bleu"}]'`)
	cmd.Flags().StringVar(&metadata, "metadata", "", "metadata as a JSON object")
	return cmd
}

func evaluationsDeleteCmd(env Env) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:     "delete NAME --yes",
		Short:   "Delete an evaluation with everything in it (server mode, admin scope)",
		Example: "  rlhf-eval evaluations delete scratch --yes",
		Args:    exactArgs(1, "delete takes the evaluation's name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return usageError("deleting %q removes its responses, scores and comparisons; add --yes to confirm", args[0])
			}
			return dual(cmd, env, func(s *Server) error {
				var raw json.RawMessage
				if err := s.call(cmd.Context(), request{method: http.MethodDelete, path: evalPath(args[0])}, &raw); err != nil {
					return err
				}
				if len(bytes.TrimSpace(raw)) > 0 {
					return printJSON(cmd.OutOrStdout(), raw)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "deleted %s\n", args[0])
				return nil
			}, nil)
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	return cmd
}

// batchCmd is `responses post` or `comparisons post`: a file of NDJSON items sent in
// chunks, each all or nothing under an Idempotency-Key derived from its content, so
// running the same upload again after an interruption replays the chunks that were
// stored instead of writing them twice.
func batchPostCmd(env Env, kind, example string) *cobra.Command {
	var evaluation, format string
	var chunk int
	cmd := &cobra.Command{
		Use:     "post FILE|- --evaluation NAME",
		Short:   "Post " + kind + " from an NDJSON file (server mode), in resumable chunks",
		Example: example,
		Args:    exactArgs(1, "post takes one NDJSON file (or - for standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if evaluation == "" {
				return usageError("post needs --evaluation NAME")
			}
			if chunk < 1 || chunk > 100_000 {
				return usageError("--chunk must be from 1 to 100000; got %d", chunk)
			}
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			return dual(cmd, env, func(s *Server) error {
				in, size, closeIn, err := openInput(args[0], cmd.InOrStdin())
				if err != nil {
					return err
				}
				defer closeIn()
				res, err := postChunks(cmd.Context(), s, evalPath(evaluation)+"/"+kind, in, chunk, newProgress(cmd.ErrOrStderr(), size))
				if err != nil {
					return err
				}
				if format == "json" {
					return printJSON(cmd.OutOrStdout(), res)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d %s: %d created, %d existing, in %d requests\n",
					res.Items, kind, res.Created, res.Existing, res.Requests)
				return err
			}, nil)
		},
	}
	cmd.Flags().StringVarP(&evaluation, "evaluation", "e", "", "the evaluation to post into")
	cmd.Flags().IntVar(&chunk, "chunk", 1000, "items per request")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

type postStats struct {
	Items    int `json:"items"`
	Created  int `json:"created"`
	Existing int `json:"existing"`
	Requests int `json:"requests"`
}

func postChunks(ctx context.Context, s *Server, path string, in io.Reader, chunk int, prog *progress) (postStats, error) {
	var st postStats
	br := bufio.NewReaderSize(in, 1<<16)
	var buf bytes.Buffer
	var read int64
	lines, n := 0, 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		sum := sha256.Sum256(append([]byte(path+"\x00"+strconv.Itoa(st.Requests)+"\x00"), buf.Bytes()...))
		var counts struct {
			Created  int `json:"created"`
			Existing int `json:"existing"`
		}
		err := s.call(ctx, request{method: http.MethodPost, path: path, body: bytes.Clone(buf.Bytes()),
			contentType: "application/x-ndjson",
			header:      map[string]string{"Idempotency-Key": "cli-" + hex.EncodeToString(sum[:16]), "Prefer": "return=minimal"}}, &counts)
		if err != nil {
			return fmt.Errorf("chunk %d (items %d–%d): %w; the chunks before it are stored, and running the same command again resumes safely",
				st.Requests+1, st.Items+1, st.Items+n, err)
		}
		st.Items += n
		st.Created += counts.Created
		st.Existing += counts.Existing
		st.Requests++
		buf.Reset()
		n = 0
		prog.update(read, st.Items)
		return nil
	}
	for {
		line, err := br.ReadBytes('\n')
		read += int64(len(line))
		if t := bytes.TrimSpace(line); len(t) > 0 {
			lines++
			buf.Write(t)
			buf.WriteByte('\n')
			n++
			if n == chunk {
				if err := flush(); err != nil {
					return st, err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	prog.done(st.Items)
	if lines == 0 {
		return st, usageError("the input holds no items")
	}
	return st, nil
}

func responsesCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "responses",
		Aliases: []string{"response"},
		Short:   "Post, list, show and delete an evaluation's responses (server mode)",
	}
	cmd.AddCommand(
		batchPostCmd(env, "responses", `  rlhf-eval responses post answers.jsonl --evaluation chat-v2
  zcat big.jsonl.gz | rlhf-eval responses post - -e chat-v2 --chunk 5000`),
		itemListCmd(env, "responses", []string{"model", "prompt_id", "scorer", "passed", "sort"},
			[]string{"ID", "EXTERNAL_ID", "MODEL", "PROMPT", "RESPONSE"},
			func(m map[string]any) []string {
				return []string{str(m["id"]), str(m["external_id"]), str(m["model"]), oneLine(str(m["prompt"]), 40), oneLine(str(m["response"]), 50)}
			},
			`  rlhf-eval responses list --evaluation chat-v2 --model chat-v2 --limit 20
  rlhf-eval responses list -e chat-v2 --scorer refusal --passed false --format json`),
		itemShowCmd(env, "responses", "  rlhf-eval responses show q1 --evaluation chat-v2"),
		itemDeleteCmd(env, "responses", "  rlhf-eval responses delete q1 --evaluation chat-v2"),
	)
	return cmd
}

func comparisonsCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "comparisons",
		Aliases: []string{"comparison"},
		Short:   "Post, list, show and delete an evaluation's pairwise comparisons (server mode)",
	}
	cmd.AddCommand(
		batchPostCmd(env, "comparisons", `  rlhf-eval comparisons post judgements.jsonl --evaluation arena`),
		itemListCmd(env, "comparisons", []string{"annotator", "annotator_kind", "model", "sort"},
			[]string{"ID", "MODEL_A", "MODEL_B", "WINNER", "PREFERENCE", "ANNOTATOR"},
			func(m map[string]any) []string {
				return []string{str(m["id"]), str(m["model_a"]), str(m["model_b"]), str(m["winner"]), str(m["preference"]), str(m["annotator"])}
			},
			`  rlhf-eval comparisons list --evaluation arena --annotator alice`),
		itemShowCmd(env, "comparisons", "  rlhf-eval comparisons show 0193... --evaluation arena"),
		itemDeleteCmd(env, "comparisons", "  rlhf-eval comparisons delete 0193... --evaluation arena"),
	)
	return cmd
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return fmt.Sprint(v)
}

func itemListCmd(env Env, kind string, filters, head []string, row func(map[string]any) []string, example string) *cobra.Command {
	var evaluation, format string
	var limit int
	vals := make([]string, len(filters))
	cmd := &cobra.Command{
		Use:     "list --evaluation NAME",
		Short:   "List " + kind + " (server mode)",
		Example: example,
		Args:    exactArgs(0, "list takes no arguments; give --evaluation NAME"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if evaluation == "" {
				return usageError("list needs --evaluation NAME")
			}
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			q := map[string]string{"limit": pageSize(limit)}
			for i, f := range filters {
				q[f] = vals[i]
			}
			return dual(cmd, env, func(s *Server) error {
				items, err := allPages[map[string]any](cmd.Context(), s, evalPath(evaluation)+"/"+kind, q, limit)
				if err != nil {
					return err
				}
				return printRows(cmd.OutOrStdout(), format, items, head, row)
			}, nil)
		},
	}
	cmd.Flags().StringVarP(&evaluation, "evaluation", "e", "", "the evaluation")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().IntVar(&limit, "limit", 100, "list at most this many (0: all)")
	for i, f := range filters {
		cmd.Flags().StringVar(&vals[i], strings.ReplaceAll(f, "_", "-"), "", "filter: "+f)
	}
	return cmd
}

func itemShowCmd(env Env, kind, example string) *cobra.Command {
	var evaluation string
	cmd := &cobra.Command{
		Use:     "show ID --evaluation NAME",
		Short:   "Show one of an evaluation's " + kind + " as JSON, by id or external_id (server mode)",
		Example: example,
		Args:    exactArgs(1, "show takes one id or external_id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if evaluation == "" {
				return usageError("show needs --evaluation NAME")
			}
			return dual(cmd, env, func(s *Server) error {
				var raw json.RawMessage
				if err := s.get(cmd.Context(), evalPath(evaluation)+"/"+kind+"/"+seg(args[0]), nil, &raw); err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), raw)
			}, nil)
		},
	}
	cmd.Flags().StringVarP(&evaluation, "evaluation", "e", "", "the evaluation")
	return cmd
}

func itemDeleteCmd(env Env, kind, example string) *cobra.Command {
	var evaluation string
	cmd := &cobra.Command{
		Use:     "delete ID --evaluation NAME",
		Short:   "Delete one of an evaluation's " + kind + " (server mode, admin scope)",
		Example: example,
		Args:    exactArgs(1, "delete takes one id or external_id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if evaluation == "" {
				return usageError("delete needs --evaluation NAME")
			}
			return dual(cmd, env, func(s *Server) error {
				return s.call(cmd.Context(), request{method: http.MethodDelete, path: evalPath(evaluation) + "/" + kind + "/" + seg(args[0])}, nil)
			}, nil)
		},
	}
	cmd.Flags().StringVarP(&evaluation, "evaluation", "e", "", "the evaluation")
	return cmd
}

// table writes rows aligned in columns for people, or as CSV for programs.
type table struct {
	tw *tabwriter.Writer
	cw *csv.Writer
}

// newTable starts a table in format "csv" or any other (aligned columns; right
// aligned with alignRight).
func newTable(w io.Writer, format string, alignRight bool) *table {
	if format == "csv" {
		return &table{cw: csv.NewWriter(w)}
	}
	var flags uint
	if alignRight {
		flags = tabwriter.AlignRight
	}
	return &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', flags)}
}

func (t *table) row(cells ...string) {
	if t.cw != nil {
		_ = t.cw.Write(cells)
		return
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t")+"\t")
}

func (t *table) flush() error {
	if t.cw != nil {
		t.cw.Flush()
		return t.cw.Error()
	}
	return t.tw.Flush()
}
