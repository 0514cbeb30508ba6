package localproc

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	never := func(context.Context) bool { return false }
	always := func(context.Context) bool { return true }
	tests := []struct {
		name    string
		script  string
		ready   func(context.Context) bool
		timeout time.Duration
		wantErr string // "" when the process must start
	}{
		{"ready", "sleep 30", always, time.Second, ""},
		{"exits before it is ready, with its last output", "echo listening failed; exit 3", never, 5 * time.Second, "exited early: listening failed"},
		{"never ready", "echo starting; sleep 30", never, 300 * time.Millisecond, "not ready after 300ms: starting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(context.Background(), Options{Name: "test: sh", Path: "sh", Args: []string{"-c", tt.script},
				Ready: tt.ready, Timeout: tt.timeout, Poll: 20 * time.Millisecond})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p.Stop()
			select {
			case <-p.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the process outlived Stop")
			}
			p.Stop() // a second Stop is harmless
		})
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil || port <= 0 || port > 65535 {
		t.Fatalf("FreePort() = %d, %v", port, err)
	}
}
