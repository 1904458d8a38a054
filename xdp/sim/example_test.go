package sim_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Run one virtual second of the demo network and count its messages.
func Example() {
	n, err := sim.New(sim.DefaultDemo(), sim.Options{Duration: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	var f source.Frame
	var d decode.Frame
	var counts [16]int
	v1 := 0
	for n.Next(context.Background(), &f) == nil {
		if d.Decode(f.Link, f.Data) != decode.ResultOK {
			log.Fatal(d.Reason)
		}
		if d.Version == 1 {
			v1++
			continue
		}
		counts[d.PTP.MessageType]++
	}
	for mt, c := range counts {
		if c > 0 {
			fmt.Println(decode.MessageType(mt), c)
		}
	}
	fmt.Println("PTPv1", v1)
	gm := n.Truth().Scopes[0].Grandmaster
	fmt.Println("grandmaster of", n.Truth().Scopes[0].Name, gm, sim.Vendor(gm.OUI()))
	// Output:
	// Sync 56
	// Delay_Req 51
	// Pdelay_Req 8
	// Pdelay_Resp 8
	// Follow_Up 40
	// Delay_Resp 51
	// Pdelay_Resp_Follow_Up 8
	// Announce 4
	// PTPv1 8
	// grandmaster of d0-udp4 ec4670.fffe.00a101 Meinberg Funkuhren
}

// Feed the demo, incidents included, to the pipeline at the speed of real
// time, as `ptpwatch --demo` does.
func Example_paced() {
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	n, err := sim.New(cfg, sim.Options{Start: time.Now().UnixNano(), Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		log.Fatal(err)
	}
	var src source.Source = &source.Pacer{Source: n, Speed: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var f source.Frame
	for src.Next(ctx, &f) == nil {
		// hand f to the pipeline
	}
}
