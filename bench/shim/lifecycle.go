// lifecycle: create+start+wait+delete N tasks sequentially through
// containerd's client API (as a kubelet or runwasi's benchmark drives
// containerd), printing tasks/s. Built by run.sh from Debian's containerd
// Go sources (GOPATH mode, no downloads).
//
//	lifecycle -address SOCK -runtime io.containerd.whirl.v2 -image REF -n 200 [-args a,b]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/oci"
)

func main() {
	address := flag.String("address", "", "containerd socket")
	runtime := flag.String("runtime", "io.containerd.runc.v2", "runtime")
	ref := flag.String("image", "", "image reference")
	n := flag.Int("n", 200, "tasks")
	args := flag.String("args", "", "comma-separated process args (default: the image's)")
	snapshotter := flag.String("snapshotter", "native", "snapshotter")
	phases := flag.Bool("phases", false, "print the mean time of each step")
	flag.Parse()

	client, err := containerd.New(*address)
	check(err)
	defer client.Close()
	ctx := namespaces.WithNamespace(context.Background(), "bench")
	image, err := client.GetImage(ctx, *ref)
	check(err)

	specOpts := []oci.SpecOpts{oci.WithImageConfig(image)}
	if *args != "" {
		specOpts = append(specOpts, oci.WithProcessArgs(strings.Split(*args, ",")...))
	}
	names := []string{"container create", "task create", "start+wait", "task delete", "container delete"}
	spent := make([]time.Duration, len(names))
	mark := time.Now()
	step := func(k int) {
		now := time.Now()
		spent[k] += now.Sub(mark)
		mark = now
	}
	start := time.Now()
	for i := 0; i < *n; i++ {
		mark = time.Now()
		id := fmt.Sprintf("bench-%d-%d", os.Getpid(), i)
		c, err := client.NewContainer(ctx, id,
			containerd.WithSnapshotter(*snapshotter),
			containerd.WithNewSnapshot(id, image),
			containerd.WithNewSpec(specOpts...),
			containerd.WithRuntime(*runtime, nil))
		check(err)
		step(0)
		task, err := c.NewTask(ctx, cio.NullIO)
		check(err)
		step(1)
		exit, err := task.Wait(ctx)
		check(err)
		check(task.Start(ctx))
		status := <-exit
		if code, _, err := status.Result(); err != nil || code != 0 {
			fmt.Fprintf(os.Stderr, "task %s: exit %d %v\n", id, code, err)
			os.Exit(1)
		}
		step(2)
		_, err = task.Delete(ctx)
		check(err)
		step(3)
		check(c.Delete(ctx, containerd.WithSnapshotCleanup))
		step(4)
	}
	elapsed := time.Since(start)
	fmt.Printf("%d tasks in %.2fs: %.1f tasks/s\n", *n, elapsed.Seconds(), float64(*n)/elapsed.Seconds())
	if *phases {
		for k, name := range names {
			fmt.Printf("  %-17s %6.2f ms\n", name, float64(spent[k].Microseconds())/1000/float64(*n))
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "lifecycle:", err)
		os.Exit(1)
	}
}
