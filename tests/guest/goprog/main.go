// Go's runtime on pyqemu: goroutines over GOMAXPROCS=4 threads, channels,
// timers, runtime.GC, and a nil dereference recovered from its SIGSEGV.
// The runtime itself uses clone, futexes, sigaltstack, and SIGURG to preempt.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

type node struct {
	next  *node
	value int
}

func nilDeref() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	var p *node
	p.value = 42 // a store through nil: SIGSEGV, turned into a panic
	return nil
}

func nilLoad() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	var p *node
	return fmt.Errorf("read %d", p.value)
}

func spin(d time.Duration) int {
	// no function calls in the loop body: only asynchronous preemption (SIGURG) can stop it
	n := 0
	for start := time.Now(); time.Since(start) < d; {
		for i := 0; i < 100000; i++ {
			n += i & 1
		}
	}
	return n
}

func main() {
	runtime.GOMAXPROCS(4)

	// a pipeline of goroutines connected by channels
	src := make(chan int)
	squares := make(chan int, 16)
	go func() {
		for i := 1; i <= 1000; i++ {
			src <- i
		}
		close(src)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range src {
				squares <- v * v
			}
		}()
	}
	go func() { wg.Wait(); close(squares) }()
	sum := 0
	for s := range squares {
		sum += s
	}
	fmt.Println("channel pipeline sum:", sum)

	// a mutex shared by many goroutines
	var mu sync.Mutex
	counter := 0
	var wg2 sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := 0; i < 2000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg2.Wait()
	fmt.Println("mutex counter:", counter)

	// timers and tickers
	start := time.Now()
	timer := time.NewTimer(30 * time.Millisecond)
	ticker := time.NewTicker(5 * time.Millisecond)
	ticks := 0
loop:
	for {
		select {
		case <-ticker.C:
			ticks++
		case <-timer.C:
			break loop
		}
	}
	ticker.Stop()
	fmt.Println("timer fired after >= 30ms:", time.Since(start) >= 30*time.Millisecond, "ticked:", ticks > 0)
	select {
	case <-time.After(20 * time.Millisecond):
		fmt.Println("time.After: ok")
	}

	// garbage: allocate a lot, collect, check that what is live survived
	var keep []*node
	for i := 0; i < 200000; i++ {
		n := &node{value: i}
		if i%1000 == 0 {
			keep = append(keep, n)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ok := len(keep) == 200
	for i, n := range keep {
		ok = ok && n.value == i*1000
	}
	fmt.Println("after runtime.GC live objects intact:", ok, "collections:", ms.NumGC > 0)

	// goroutines that never call anything preemptible still share the CPU
	results := make(chan int, 4)
	for i := 0; i < 4; i++ {
		go func() { results <- spin(50 * time.Millisecond) }()
	}
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, <-results)
	}
	sort.Ints(got)
	fmt.Println("busy goroutines finished:", len(got) == 4 && got[0] > 0)

	fmt.Println("nil store:", nilDeref())
	fmt.Println("nil load:", nilLoad())
	fmt.Println("threads in use:", runtime.NumGoroutine() >= 1, runtime.GOMAXPROCS(0))
	os.Exit(3)
}
