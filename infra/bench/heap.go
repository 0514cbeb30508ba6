package bench

import (
	"runtime"
	"sync"
	"time"
)

// HeapStats is what a HeapMonitor saw of the process's heap.
type HeapStats struct {
	// PeakAlloc is the largest sampled runtime.MemStats.HeapAlloc: bytes of
	// heap objects, live or not yet collected.
	PeakAlloc uint64
	// Sys is HeapSys at the end: heap memory obtained from the OS.
	Sys uint64
	// TotalAlloc is the bytes allocated while the monitor ran.
	TotalAlloc uint64
	// NumGC is the number of garbage collections while the monitor ran.
	NumGC uint32
	// Every is the sampling interval.
	Every time.Duration
}

// HeapMonitor samples runtime.MemStats at a fixed interval to find the peak
// heap of the process.
type HeapMonitor struct {
	every time.Duration
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	first runtime.MemStats
	stats HeapStats
}

// StartHeapMonitor starts sampling every interval (each sample briefly stops
// the world, so keep it at tens of milliseconds or more).
func StartHeapMonitor(every time.Duration) *HeapMonitor {
	m := &HeapMonitor{every: every, stop: make(chan struct{}), done: make(chan struct{})}
	runtime.ReadMemStats(&m.first)
	m.stats = HeapStats{PeakAlloc: m.first.HeapAlloc, Every: every}
	go m.loop()
	return m
}

func (m *HeapMonitor) loop() {
	defer close(m.done)
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			m.sample()
			return
		case <-t.C:
			m.sample()
		}
	}
}

func (m *HeapMonitor) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.stats.PeakAlloc = max(m.stats.PeakAlloc, ms.HeapAlloc)
	m.stats.Sys = ms.HeapSys
	m.stats.TotalAlloc = ms.TotalAlloc - m.first.TotalAlloc
	m.stats.NumGC = ms.NumGC - m.first.NumGC
}

// Stop takes a last sample, ends the sampling and returns what it saw; later
// calls return the same.
func (m *HeapMonitor) Stop() HeapStats {
	m.once.Do(func() { close(m.stop) })
	<-m.done
	return m.stats
}
