# Go: a program with goroutines, channels and a timer, built here.
set -eu
rm -rf /tmp/gosrc && mkdir -p /tmp/gosrc && cd /tmp/gosrc
export HOME=/tmp GOCACHE=/tmp/gocache GOPATH=/tmp/gopath
cat >main.go <<'GO'
package main

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

func worker(id int, jobs <-chan int, results chan<- [2]int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		results <- [2]int{j, j * j * id / id}
	}
}

func main() {
	jobs := make(chan int, 100)
	results := make(chan [2]int, 100)
	var wg sync.WaitGroup
	for w := 1; w <= 8; w++ {
		wg.Add(1)
		go worker(w, jobs, results, &wg)
	}
	for j := 1; j <= 100; j++ {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	close(results)
	sum := 0
	var got []int
	for r := range results {
		sum += r[1]
		got = append(got, r[0])
	}
	sort.Ints(got)
	fmt.Println("results", len(got), "first", got[0], "last", got[len(got)-1], "sum", sum)

	timer := time.NewTimer(50 * time.Millisecond)
	ticker := time.NewTicker(10 * time.Millisecond)
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
	fmt.Println("timer fired, ticks >= 2:", ticks >= 2)
	done := make(chan string)
	go func() {
		time.Sleep(20 * time.Millisecond)
		done <- "slept"
	}()
	select {
	case s := <-done:
		fmt.Println("goroutine", s)
	case <-time.After(10 * time.Second):
		fmt.Println("timeout")
	}
}
GO
go build -o hello main.go
./hello
go vet main.go && echo "vet clean"
