package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCluster: the cluster serves, refuses connections once stopped, and
// serves the same data again after a start on the same URL.
func TestCluster(t *testing.T) {
	c := NewCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatalf("on the new cluster: %v", err)
	}
	c.Stop(t, "immediate")
	if err := exec(`SELECT 1`); err == nil {
		t.Fatal("the stopped cluster accepted a connection")
	}
	c.Start(t)
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT n FROM kept`).Scan(&n); err != nil || n != 42 {
		t.Errorf("after the restart: SELECT n = %d, %v; want 42", n, err)
	}
}
