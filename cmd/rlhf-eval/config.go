package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/kelseyhightower/envconfig"
)

// config is the whole configuration, read once from RLHF_* variables (and a .env
// file in the working directory; the real environment wins).
type config struct {
	DatabaseURL      string        `envconfig:"DATABASE_URL" default:"postgres://postgres@127.0.0.1:5432/rlhf_eval?sslmode=disable"`
	DatabasePoolSize int           `envconfig:"DATABASE_POOL_SIZE" default:"10"`
	APIHost          string        `envconfig:"API_HOST" default:"127.0.0.1"`
	APIPort          int           `envconfig:"API_PORT" default:"8080"`
	Debug            bool          `envconfig:"DEBUG" default:"false"`
	LogLevel         string        `envconfig:"LOG_LEVEL" default:"info"`
	MaxBodyBytes     int64         `envconfig:"MAX_BODY_BYTES" default:"33554432"`
	ShutdownTimeout  time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"15s"`
	AutoMigrate      bool          `envconfig:"AUTO_MIGRATE" default:"true"`

	// Limits.
	MaxBatchItems     int           `envconfig:"MAX_BATCH_ITEMS" default:"100000"`
	MaxFieldBytes     int           `envconfig:"MAX_FIELD_BYTES" default:"1048576"`
	RequestTimeout    time.Duration `envconfig:"REQUEST_TIMEOUT" default:"60s"`
	ReadHeaderTimeout time.Duration `envconfig:"READ_HEADER_TIMEOUT" default:"10s"`
	RateLimit         float64       `envconfig:"RATE_LIMIT" default:"0"`
	RateBurst         float64       `envconfig:"RATE_BURST" default:"0"`
	BulkWriters       int           `envconfig:"BULK_WRITERS" default:"0"`
	BulkStall         time.Duration `envconfig:"BULK_STALL" default:"10s"`
	MaxPageBytes      int           `envconfig:"MAX_PAGE_BYTES" default:"8388608"`
	MaxScoreScorers   int           `envconfig:"MAX_SCORE_SCORERS" default:"32"`
	MaxScoreWork      int           `envconfig:"MAX_SCORE_WORK" default:"200000"`

	// ReadDatabaseURL names a read replica for summaries, leaderboards, lists and
	// exports ("": read from the primary).
	ReadDatabaseURL string `envconfig:"READ_DATABASE_URL"`

	// Server mode of the CLI: talk to this server's REST API with this key.
	ServerURL string `envconfig:"URL"`
	APIKey    string `envconfig:"API_KEY"`

	// Background jobs.
	Workers        int           `envconfig:"WORKERS" default:"4"`
	JobTimeout     time.Duration `envconfig:"JOB_TIMEOUT" default:"24h"`
	JobRescueAfter time.Duration `envconfig:"JOB_RESCUE_AFTER" default:"25h"`
	JobLease       time.Duration `envconfig:"JOB_LEASE" default:"30s"`
	// JobRetention is how long a finished job's row is kept; 0 keeps every one.
	JobRetention time.Duration `envconfig:"JOB_RETENTION" default:"720h"`
}

const envPrefix = "RLHF"

// what each variable allows, for error messages.
var allowed = map[string]string{
	"DATABASE_URL":        "a postgres:// URL",
	"DATABASE_POOL_SIZE":  "an integer from 1 to 1000",
	"READ_DATABASE_URL":   "a postgres:// URL of a read replica of RLHF_DATABASE_URL",
	"API_HOST":            "a host name or IP address",
	"API_PORT":            "an integer from 0 to 65535 (0 picks a free port)",
	"DEBUG":               "true or false",
	"LOG_LEVEL":           "debug, info, warn or error",
	"MAX_BODY_BYTES":      "an integer number of bytes from 1024 to 17179869184",
	"SHUTDOWN_TIMEOUT":    "a Go duration such as 15s or 1m, from 0s to 1h",
	"AUTO_MIGRATE":        "true or false",
	"MAX_BATCH_ITEMS":     "an integer from 1 to 10000000",
	"MAX_FIELD_BYTES":     "an integer number of bytes from 1024 to 1073741824",
	"REQUEST_TIMEOUT":     "a Go duration such as 60s, from 0s (none) to 24h",
	"READ_HEADER_TIMEOUT": "a Go duration such as 10s, from 100ms to 10m",
	"RATE_LIMIT":          "requests per second per API key, a number >= 0 (0 turns limiting off)",
	"RATE_BURST":          "a number of requests >= 0 (0 means max(1, RATE_LIMIT))",
	"URL":                 "the http(s) URL of an rlhf-eval server",
	"API_KEY":             "an rlhf-eval API key",
	"WORKERS":             "an integer from 0 (no job workers in this process) to 1000",
	"JOB_TIMEOUT":         "a Go duration such as 24h, from 1s to 720h",
	"JOB_RESCUE_AFTER":    "a Go duration at least RLHF_JOB_TIMEOUT, such as 25h",
	"JOB_LEASE":           "a Go duration such as 30s, from 1s to 1h",
	"JOB_RETENTION":       "0 (keep every finished job) or a Go duration of at least 1h, such as 720h",
	"MAX_PAGE_BYTES":      "an integer number of bytes from 65536 to 1073741824",
	"MAX_SCORE_SCORERS":   "an integer from 1 to 1000",
	"MAX_SCORE_WORK":      "an integer from 1 to 100000000 (items × scorers per POST /v1/score)",
	"BULK_WRITERS":        "an integer from 0 (half of DATABASE_POOL_SIZE) to DATABASE_POOL_SIZE",
	"BULK_STALL":          "a Go duration such as 10s, from 100ms to 10m",
}

// loginFile is where `rlhf-eval login` keeps a server and its key: in the user's
// configuration directory ($XDG_CONFIG_HOME, else ~/.config), or nowhere.
func loginFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "rlhf-eval", "login.json")
}

// loadConfig reads .env (if present) into the environment without overriding what
// is set, then the RLHF_ variables. Its errors are one line naming the variable, the
// value and what is allowed.
func loadConfig() (config, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return config{}, fmt.Errorf(".env: %w", err)
	}
	var c config
	if err := envconfig.Process(envPrefix, &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return config{}, badValue(pe.KeyName, pe.Value)
		}
		return config{}, err
	}
	return c, c.validate()
}

func badValue(key, value string) error {
	name := strings.TrimPrefix(key, envPrefix+"_")
	return fmt.Errorf("invalid %s_%s=%q: must be %s", envPrefix, name, value, allowed[name])
}

func (c config) validate() error {
	env := func(name string) string {
		v, _ := os.LookupEnv(envPrefix + "_" + name)
		return v
	}
	// Defaults are valid, so an invalid value came from the environment.
	value := env
	switch {
	case !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return badValue("DATABASE_URL", redactURL(c.DatabaseURL))
	case c.DatabasePoolSize < 1 || c.DatabasePoolSize > 1000:
		return badValue("DATABASE_POOL_SIZE", value("DATABASE_POOL_SIZE"))
	case c.APIHost == "" || strings.ContainsAny(c.APIHost, " /"):
		return badValue("API_HOST", c.APIHost)
	case c.APIPort < 0 || c.APIPort > 65535:
		return badValue("API_PORT", value("API_PORT"))
	case c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 16<<30:
		return badValue("MAX_BODY_BYTES", value("MAX_BODY_BYTES"))
	case c.ShutdownTimeout < 0 || c.ShutdownTimeout > time.Hour:
		return badValue("SHUTDOWN_TIMEOUT", value("SHUTDOWN_TIMEOUT"))
	case c.MaxBatchItems < 1 || c.MaxBatchItems > 10_000_000:
		return badValue("MAX_BATCH_ITEMS", value("MAX_BATCH_ITEMS"))
	case c.MaxFieldBytes < 1024 || c.MaxFieldBytes > 1<<30:
		return badValue("MAX_FIELD_BYTES", value("MAX_FIELD_BYTES"))
	case c.RequestTimeout < 0 || c.RequestTimeout > 24*time.Hour:
		return badValue("REQUEST_TIMEOUT", value("REQUEST_TIMEOUT"))
	case c.ReadHeaderTimeout < 100*time.Millisecond || c.ReadHeaderTimeout > 10*time.Minute:
		return badValue("READ_HEADER_TIMEOUT", value("READ_HEADER_TIMEOUT"))
	case !(c.RateLimit >= 0) || math.IsInf(c.RateLimit, 0):
		return badValue("RATE_LIMIT", value("RATE_LIMIT"))
	case !(c.RateBurst >= 0) || math.IsInf(c.RateBurst, 0):
		return badValue("RATE_BURST", value("RATE_BURST"))
	case c.Workers < 0 || c.Workers > 1000:
		return badValue("WORKERS", value("WORKERS"))
	case c.JobTimeout < time.Second || c.JobTimeout > 720*time.Hour:
		return badValue("JOB_TIMEOUT", value("JOB_TIMEOUT"))
	case c.JobRescueAfter < c.JobTimeout:
		return badValue("JOB_RESCUE_AFTER", c.JobRescueAfter.String())
	case c.JobLease < time.Second || c.JobLease > time.Hour:
		return badValue("JOB_LEASE", value("JOB_LEASE"))
	case c.JobRetention < 0 || (c.JobRetention > 0 && c.JobRetention < time.Hour):
		return badValue("JOB_RETENTION", value("JOB_RETENTION"))
	case c.MaxPageBytes < 64<<10 || c.MaxPageBytes > 1<<30:
		return badValue("MAX_PAGE_BYTES", value("MAX_PAGE_BYTES"))
	case c.MaxScoreScorers < 1 || c.MaxScoreScorers > 1000:
		return badValue("MAX_SCORE_SCORERS", value("MAX_SCORE_SCORERS"))
	case c.MaxScoreWork < 1 || c.MaxScoreWork > 100_000_000:
		return badValue("MAX_SCORE_WORK", value("MAX_SCORE_WORK"))
	case c.BulkWriters < 0 || c.BulkWriters > c.DatabasePoolSize:
		return badValue("BULK_WRITERS", value("BULK_WRITERS"))
	case c.BulkStall < 100*time.Millisecond || c.BulkStall > 10*time.Minute:
		return badValue("BULK_STALL", value("BULK_STALL"))
	}
	if _, err := c.logLevel(); err != nil {
		return badValue("LOG_LEVEL", c.LogLevel)
	}
	return nil
}

func (c config) logLevel() (slog.Level, error) {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q", c.LogLevel)
}

// bulkWriters is how many bulk requests may hold a transaction at once: half the
// pool unless set, so that other requests always find a connection.
func (c config) bulkWriters() int {
	if c.BulkWriters > 0 {
		return c.BulkWriters
	}
	return max(1, c.DatabasePoolSize/2)
}

func (c config) addr() string {
	return net.JoinHostPort(c.APIHost, fmt.Sprint(c.APIPort))
}

// redactURL hides a password in a URL shown in an error.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return s[:i+3] + rest[:colon] + ":***" + rest[at:]
			}
		}
	}
	return s
}
