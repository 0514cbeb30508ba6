package asl

import "testing"

func TestMemoryStore(t *testing.T) {
	TestExecutionStore(t, func(*testing.T) ExecutionStore { return NewMemoryStore() })
}
