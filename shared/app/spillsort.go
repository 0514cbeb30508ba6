package app

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"errors"
	"io"
	"os"
	"sort"
)

// spillSorter sorts more values than a function's memory should hold (an
// external merge sort): it keeps at most limit values in memory, writes each
// full batch sorted to one temporary file as a run of JSON lines, and merges
// the runs when asked. Memory stays near limit values plus a read buffer a
// run, whatever the count.
type spillSorter[T any] struct {
	less  func(a, b T) bool
	limit int
	buf   []T
	file  *os.File
	w     *bufio.Writer
	size  int64
	runs  []spillRun
}

// spillRun is one sorted run's place in the file.
type spillRun struct{ off, n int64 }

func newSpillSorter[T any](limit int, less func(a, b T) bool) *spillSorter[T] {
	return &spillSorter[T]{less: less, limit: limit}
}

// Add takes one value, spilling a sorted run when the batch is full.
func (s *spillSorter[T]) Add(v T) error {
	s.buf = append(s.buf, v)
	if len(s.buf) >= s.limit {
		return s.spill()
	}
	return nil
}

func (s *spillSorter[T]) sortBuf() {
	sort.SliceStable(s.buf, func(i, j int) bool { return s.less(s.buf[i], s.buf[j]) })
}

func (s *spillSorter[T]) spill() error {
	if len(s.buf) == 0 {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "spillsort-*.jsonl")
		if err != nil {
			return err
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 64<<10)
	}
	s.sortBuf()
	run := spillRun{off: s.size}
	for _, v := range s.buf {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if _, err := s.w.Write(b); err != nil {
			return err
		}
		run.n += int64(len(b))
	}
	s.size += run.n
	s.runs = append(s.runs, run)
	clear(s.buf)
	s.buf = s.buf[:0]
	return nil
}

// Each calls fn with every value added, in order. A sorter that never
// filled a batch sorts in memory and writes no file.
func (s *spillSorter[T]) Each(fn func(T) error) error {
	if s.file == nil {
		s.sortBuf()
		for _, v := range s.buf {
			if err := fn(v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	h := &runHeap[T]{less: s.less}
	for i, r := range s.runs {
		// The decoder buffers what it reads itself: a run costs about one
		// value's bytes, so many runs merge in little memory.
		c := &runCursor[T]{run: i, dec: json.NewDecoder(io.NewSectionReader(s.file, r.off, r.n))}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h.cursors = append(h.cursors, c)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		c := h.cursors[0]
		if err := fn(c.head); err != nil {
			return err
		}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// Close removes the temporary file.
func (s *spillSorter[T]) Close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	return errors.Join(s.file.Close(), os.Remove(name))
}

// runCursor reads one sorted run a value at a time.
type runCursor[T any] struct {
	run  int
	dec  *json.Decoder
	head T
}

func (c *runCursor[T]) next() (bool, error) {
	var v T
	if err := c.dec.Decode(&v); err == io.EOF {
		return false, nil
	} else if err != nil {
		return false, err
	}
	c.head = v
	return true, nil
}

// runHeap orders the runs by their next value; ties go to the earlier run,
// so equal values come out in the order they were added.
type runHeap[T any] struct {
	less    func(a, b T) bool
	cursors []*runCursor[T]
}

func (h *runHeap[T]) Len() int { return len(h.cursors) }
func (h *runHeap[T]) Less(i, j int) bool {
	a, b := h.cursors[i], h.cursors[j]
	if h.less(a.head, b.head) {
		return true
	}
	return !h.less(b.head, a.head) && a.run < b.run
}
func (h *runHeap[T]) Swap(i, j int) { h.cursors[i], h.cursors[j] = h.cursors[j], h.cursors[i] }
func (h *runHeap[T]) Push(x any)    { h.cursors = append(h.cursors, x.(*runCursor[T])) }
func (h *runHeap[T]) Pop() any {
	c := h.cursors[len(h.cursors)-1]
	h.cursors = h.cursors[:len(h.cursors)-1]
	return c
}
