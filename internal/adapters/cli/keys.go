package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func keysCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys (directly in the database, for bootstrap)",
	}
	cmd.AddCommand(keysCreateCmd(env), keysListCmd(env), keysRevokeCmd(env))
	return cmd
}

type keyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Key        string     `json:"key,omitempty"`
}

func toKeyJSON(k domain.APIKey) keyJSON {
	out := keyJSON{ID: k.ID.String(), Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt}
	for _, s := range k.Scopes {
		out.Scopes = append(out.Scopes, string(s))
	}
	return out
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageError("--format must be one of %s; got %q", strings.Join(allowed, ", "), format)
}

func keysCreateCmd(env Env) *cobra.Command {
	var name, format string
	var scopes []string
	var expiresIn time.Duration
	cmd := &cobra.Command{
		Use: "create --name NAME --scope read|write|admin",
		Example: `  rlhf-eval keys create --name admin --scope admin
  rlhf-eval keys create --name dashboard --scope read --expires-in 720h --format json`,
		Short: "Create an API key and print it (it is shown only once)",
		Long: `Create an API key. Scopes nest: admin includes write, write includes read.
The key is printed alone on the last line of standard output (or as JSON with
--format json); only its hash is stored, so it cannot be shown again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			if name == "" {
				return usageError("--name is required")
			}
			if len(scopes) == 0 {
				return usageError("--scope is required (read, write or admin)")
			}
			in := app.KeyInput{Name: name, Scopes: scopes}
			if expiresIn < 0 {
				return usageError("--expires-in must be positive")
			}
			if expiresIn > 0 {
				t := time.Now().Add(expiresIn)
				in.ExpiresAt = &t
			}
			return withBackend(cmd, env, func(b *Backend) error {
				token, k, err := b.Keys.Create(cmd.Context(), in)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if format == "json" {
					out := toKeyJSON(k)
					out.Key = token
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				fmt.Fprintf(w, "Created API key %q (id %s, scopes %s). Store it now; it is not shown again:\n",
					k.Name, k.ID, strings.Join(toKeyJSON(k).Scopes, ","))
				fmt.Fprintln(w, token)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a name for the key (who or what uses it)")
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, "scope: read, write or admin (repeat or comma-separate)")
	cmd.Flags().DurationVar(&expiresIn, "expires-in", 0, "expire the key after this long (e.g. 720h); default never")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func keysListCmd(env Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: "list",
		Example: `  rlhf-eval keys list
  rlhf-eval keys list --format json`,
		Short: "List API keys (prefixes only; secrets are never stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			return withBackend(cmd, env, func(b *Backend) error {
				var all []domain.APIKey
				cursor := ""
				for {
					page, err := b.Keys.List(cmd.Context(), cursor, domain.MaxPageSize)
					if err != nil {
						return err
					}
					all = append(all, page.Items...)
					if page.Next == "" {
						break
					}
					cursor = page.Next
				}
				w := cmd.OutOrStdout()
				if format == "json" {
					out := make([]keyJSON, len(all))
					for i, k := range all {
						out[i] = toKeyJSON(k)
					}
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				t := newTable(w, format, false)
				t.row("ID", "NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED", "STATE")
				for _, k := range all {
					state := "active"
					switch {
					case k.RevokedAt != nil:
						state = "revoked"
					case !k.Usable(time.Now()):
						state = "expired"
					}
					t.row(k.ID.String(), k.Name, k.Prefix, strings.Join(toKeyJSON(k).Scopes, ","), k.CreatedAt.Format(time.RFC3339),
						fmtTime(k.LastUsedAt), state)
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	return cmd
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func keysRevokeCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Example: `  rlhf-eval keys revoke 0193a0c4-5b6e-7c2d-9e1f-2a3b4c5d6e7f`,
		Short:   "Revoke an API key by id",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("revoke takes the key's id (see keys list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(cmd, env, func(b *Backend) error {
				k, err := b.Keys.Revoke(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (%s) at %s\n", k.ID, k.Prefix, k.RevokedAt.Format(time.RFC3339))
				return nil
			})
		},
	}
}
