// Command plot draws make bench's growth figures (test/bench -growth): create
// rate, full-list time and resident memory per object against N, one line
// per setup, into one SVG. It is a module of its own so that the plotting
// library (gonum.org/v1/plot and its font and image dependencies) stays out
// of the server's go.mod; test/bench writes the figures as JSON and runs it.
//
//	go run . -in growth.json -out ../../../docs/benchmarks-growth.svg
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// point is one setup at one N, as test/bench writes it.
type point struct {
	Setup          string  `json:"setup"`
	N              int     `json:"n"`
	CreatesPerSec  float64 `json:"createsPerSec"`
	ListSeconds    float64 `json:"listSeconds"`
	RSSBytesPerObj float64 `json:"rssBytesPerObject"`
}

func main() {
	in := flag.String("in", "", "growth figures (JSON) from test/bench")
	out := flag.String("out", "", "SVG to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var pts []point
	if err := json.Unmarshal(b, &pts); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var setups []string
	seen := map[string]bool{}
	for _, p := range pts {
		if !seen[p.Setup] {
			seen[p.Setup] = true
			setups = append(setups, p.Setup)
		}
	}
	figures := []struct {
		title, y string
		value    func(point) float64
	}{
		{"creates/s against N", "creates/s", func(p point) float64 { return p.CreatesPerSec }},
		{"full list time against N", "seconds", func(p point) float64 { return p.ListSeconds }},
		{"resident memory per object against N", "bytes per object", func(p point) float64 { return p.RSSBytesPerObj }},
	}
	colors := []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
		color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	}
	const w, h = 7 * vg.Inch, 4 * vg.Inch
	canvas := vgsvg.New(w, 3*h)
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 3, Cols: 1}
	for i, f := range figures {
		p := plot.New()
		p.Title.Text = f.title
		p.X.Label.Text = "N (objects)"
		p.Y.Label.Text = f.y
		p.Add(plotter.NewGrid())
		for j, s := range setups {
			var xy plotter.XYs
			for _, pt := range pts {
				if pt.Setup == s {
					xy = append(xy, plotter.XY{X: float64(pt.N), Y: f.value(pt)})
				}
			}
			line, points, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			line.Color = colors[j%len(colors)]
			points.Color = colors[j%len(colors)]
			p.Add(line, points)
			p.Legend.Add(s, line, points)
		}
		p.Legend.Top = true
		p.Legend.Left = true
		p.Draw(tiles.At(dc, 0, i))
	}
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := canvas.WriteTo(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
