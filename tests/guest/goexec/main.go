// os/exec of a program that does not exist, then of one that does, while other
// goroutines keep the threads busy: Go forks with CLONE_VFORK|CLONE_VM and
// learns the child's execve error through a close-on-exec pipe.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println("child ran")
		return
	}
	var stop int32
	for i := 0; i < 3; i++ {
		go func() {
			for atomic.LoadInt32(&stop) == 0 {
			}
		}()
	}
	failures := 0
	for i := 0; i < 20; i++ {
		if err := exec.Command("/nonexistent/program").Run(); err == nil {
			failures++
		}
	}
	fmt.Println("missing program, 20 times:", exec.Command("/nonexistent/program").Run(), failures)
	self, _ := os.Executable()
	out, err := exec.Command(self, "child").Output()
	atomic.StoreInt32(&stop, 1)
	fmt.Printf("itself: %q %v\n", out, err)
}
