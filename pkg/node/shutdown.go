package node

import (
	"context"
	"errors"
)

// Shutdown stops the node: DNS first so queries in flight finish, then
// the event streams and the API, the run loop, the checks, the store
// (its lease is revoked, so its member entry and results leave at once),
// the embedded etcd and the GeoIP databases it opened. Called while
// Start runs, it cuts the start short and waits for it. ctx bounds the
// wait for queries and API requests in flight. Every goroutine the node
// started has ended when it returns, and Err is closed. Call it also
// for a node never started: New may have opened GeoIP databases.
func (n *Node) Shutdown(ctx context.Context) error {
	n.lifeMu.Lock()
	n.stopping = true
	if n.startCancel != nil {
		n.startCancel(errors.New("Shutdown was called"))
	}
	n.lifeMu.Unlock()
	// Start holds startMu until it has returned.
	n.startMu.Lock()
	defer n.startMu.Unlock()
	return n.teardown(ctx)
}

// teardown stops whatever has been started, once.
func (n *Node) teardown(ctx context.Context) error {
	var errs []error
	n.stopOnce.Do(func() {
		n.lifeMu.Lock()
		n.stopping = true
		cancel := n.cancel
		n.lifeMu.Unlock()
		if n.dns != nil {
			if err := n.dns.Shutdown(ctx); err != nil {
				errs = append(errs, err)
				n.log.Warn("dns shutdown", "err", err)
			}
		}
		// Queries have stopped: what they logged is written out.
		if n.qlog != nil {
			if err := n.qlog.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		// Event streams never go idle; ending them lets the API shut down
		// at once rather than at the end of the grace.
		n.events.Close()
		if n.adminSrv != nil {
			if err := n.adminSrv.Shutdown(ctx); err != nil {
				n.log.Warn("admin API shutdown; closing the connections left", "err", err)
				_ = n.adminSrv.Close()
			}
		}
		if cancel != nil {
			cancel()
		}
		if n.sched != nil {
			n.sched.Close()
		}
		n.targets.Close()
		// The API, when an embedder serves it, answers 503 from now on
		// rather than call a closed store.
		n.liveStore.Store(nil)
		if n.store != nil {
			if err := n.store.Close(); err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, err)
			}
		}
		n.wg.Wait()
		n.notifier.stop()
		if n.embed != nil {
			n.embed.Close()
		}
		if n.geo != nil {
			_ = n.geo.Close()
		}
		close(n.errs)
	})
	return errors.Join(errs...)
}
