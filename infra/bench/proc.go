package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcMemory is a process's resident memory as /proc/<pid>/status reports it.
type ProcMemory struct {
	// RSS is the resident set size now (VmRSS), in bytes.
	RSS uint64
	// PeakRSS is the largest resident set size so far (VmHWM), in bytes.
	PeakRSS uint64
}

// ReadProcMemory reads VmRSS and VmHWM of a process (Linux only).
func ReadProcMemory(pid int) (ProcMemory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMemory{}, err
	}
	return parseProcStatus(b)
}

// parseProcStatus reads VmRSS and VmHWM (in kB) from a status file.
func parseProcStatus(b []byte) (ProcMemory, error) {
	var m ProcMemory
	var seen int
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("bench: unexpected %s line %q", k, strings.TrimSpace(line))
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("bench: %s: %w", k, err)
		}
		if k == "VmRSS" {
			m.RSS = n << 10
		} else {
			m.PeakRSS = n << 10
		}
		seen++
	}
	if seen != 2 {
		return m, errors.New("bench: no VmRSS and VmHWM in the status file")
	}
	return m, nil
}

// FindChild returns the pid of a child process of this one whose command
// line holds every one of args as a whole argument, e.g. the java process of
// a DynamoDB Local this process started ("DynamoDBLocal.jar"… is matched by
// the path's last element too).
func FindChild(args ...string) (int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	self := os.Getpid()
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(dir); !ok || ppid != self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		if holdsAll(bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0}), args) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("bench: no child process with arguments %q", args)
}

// parentOf reads the parent pid from /proc/<pid>/stat, whose second field
// (the command name, in parentheses) may itself hold spaces.
func parentOf(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// holdsAll reports whether every wanted string is one of the arguments or
// the last path element of one.
func holdsAll(argv [][]byte, want []string) bool {
	for _, w := range want {
		found := false
		for _, a := range argv {
			if string(a) == w || filepath.Base(string(a)) == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
