// Package labelwriters runs clients that update objects while something else
// rewrites them (a storage migration), and keeps the last write each client
// was told succeeded, so that a test can check that none was lost.
package labelwriters

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cicdv1beta "github.com/autobusi/cicd-apiserver/generated/clientset/versioned/typed/cicd/v1beta"
)

// Writers are clients updating objects named js-00000, js-00001, ...
type Writers struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	acked []map[string]int // client -> object -> last acknowledged round
	errs  chan error
}

// Start starts clients writers on c. Client w owns every every-th of the
// objects i < objects with i ≡ w (mod clients); in round r it sets its label
// writer-w to r on each (a read and an update, again on a conflict), then
// pauses.
func Start(ctx context.Context, c cicdv1beta.JenkinsServiceInterface, objects, clients, every int, pause time.Duration) *Writers {
	w := &Writers{stop: make(chan struct{}), acked: make([]map[string]int, clients), errs: make(chan error, clients)}
	for k := range clients {
		w.acked[k] = map[string]int{}
		w.wg.Go(func() {
			if err := w.write(ctx, c, k, objects, clients*every, pause); err != nil {
				w.errs <- err
			}
		})
	}
	return w
}

func (w *Writers) write(ctx context.Context, c cicdv1beta.JenkinsServiceInterface, k, objects, step int, pause time.Duration) error {
	label := Label(k)
	for round := 1; ; round++ {
		for i := k; i < objects; i += step {
			select {
			case <-w.stop:
				return nil
			default:
			}
			name := fmt.Sprintf("js-%05d", i)
			for {
				js, err := c.Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				if js.Labels == nil {
					js.Labels = map[string]string{}
				}
				js.Labels[label] = strconv.Itoa(round)
				_, err = c.Update(ctx, js, metav1.UpdateOptions{})
				if apierrors.IsConflict(err) {
					continue // rewritten meanwhile
				}
				if err != nil {
					return err
				}
				w.acked[k][name] = round
				break
			}
		}
		time.Sleep(pause)
	}
}

// Label is client k's label key.
func Label(k int) string { return fmt.Sprintf("writer-%d", k) }

// Stop stops the clients, waits for them and returns their errors.
func (w *Writers) Stop() []error {
	close(w.stop)
	w.wg.Wait()
	close(w.errs)
	var errs []error
	for err := range w.errs {
		errs = append(errs, err)
	}
	return errs
}

// Written is, for each object written, the labels the clients were told were
// stored (after Stop).
func (w *Writers) Written() map[string]map[string]string {
	out := map[string]map[string]string{}
	for k, acked := range w.acked {
		for name, round := range acked {
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			out[name][Label(k)] = strconv.Itoa(round)
		}
	}
	return out
}
