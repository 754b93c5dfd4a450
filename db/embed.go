// Package db embeds the SQL migrations so that the binary carries its own schema.
package db

import "embed"

// Migrations holds the goose migrations, at migrations/*.sql.
//
//go:embed migrations/*.sql
var Migrations embed.FS
