package storetest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/netid/netid/internal/store/sqlite"
)

// SQLiteRowCounts counts the rows of every table of the SQLite database at
// path: the abuse tests compare the counts before and after hostile
// requests to show that nothing was written.
func SQLiteRowCounts(tb testing.TB, path string) map[string]int {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path, 5*time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) == 0 {
		tb.Fatalf("no tables in %s", path)
	}
	counts := map[string]int{}
	for _, name := range tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+name+`"`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		counts[name] = n
	}
	return counts
}
