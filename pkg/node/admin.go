package node

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// listenAdmin binds the admin API's address, if set. That it is a
// loopback one when there is no tokens file is the node file's rule
// (config.Node.Validate).
func listenAdmin(c config.Admin) (net.Listener, error) {
	if c.Listen == "" {
		return nil, nil
	}
	l, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("listening for the admin API: %w", err)
	}
	return l, nil
}

// adminTLS loads the API's certificate, if one is set, so that a node
// with a certificate it cannot use is refused at start: loaded only when
// serving, the failure would leave the port bound and never answering.
func adminTLS(c config.Admin) (*tls.Config, error) {
	if c.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading admin.tls_cert %s and admin.tls_key %s: %w", c.TLSCert, c.TLSKey, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// adminDescriptorShare is the part of the descriptors left over by
// nodeDescriptorReserve that the admin API may take: DNS over TCP, what
// the node is for, gets the rest (see dnsTCPConnCap).
const adminDescriptorShare = 4 // one in four

// adminConnFloor is the least the API is given however low the limit, so
// an operator can still reach it.
const adminConnFloor = 4

// adminConnCap is the number of connections the API may hold: the node
// file's, lowered to a quarter of what the descriptor limit leaves after
// nodeDescriptorReserve when it is short. A node out of descriptors loses
// its store.
func adminConnCap(configured int, limit uint64) int {
	if limit == 0 {
		return configured
	}
	share := (int64(limit) - nodeDescriptorReserve) / adminDescriptorShare
	return int(min(int64(configured), max(share, adminConnFloor)))
}

// newAPI builds the admin API on b, with its metrics in reg and the
// node file's tokens, limits and peers.
func newAPI(n *config.Node, b admin.Backend, g prometheus.Gatherer, reg prometheus.Registerer, log *slog.Logger) (http.Handler, *admin.Metrics, error) {
	peers, err := peerClient(n.Admin)
	if err != nil {
		return nil, nil, err
	}
	m, err := admin.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	api, err := admin.New(admin.Options{Backend: b, Gatherer: g, TokensFile: n.Admin.TokensFile, Logger: log, NodeID: n.Node.ID, Peers: peers,
		Limits: n.Admin.Limits, MetricsToken: n.Admin.MetricsToken, Metrics: m})
	if err != nil {
		return nil, nil, err
	}
	return api, m, nil
}

// serveAdmin serves the API on l, over HTTPS when tc is set, within the
// node file's admin.limits. A server that stops on its own ends the node
// (Err): it would otherwise run on without its API.
func (n *Node) serveAdmin(l net.Listener, tc *tls.Config) {
	a := n.cfg.Admin
	if a.MetricsToken && a.TokensFile == "" {
		n.log.Warn("admin.metrics_token is set but there is no admin.tokens_file: /metrics stays open")
	}
	lim := a.Limits
	limit := fileLimit()
	if c := adminConnCap(lim.MaxConnections, limit); c != lim.MaxConnections {
		n.log.Warn("admin.limits.max_connections lowered to leave descriptors to the rest of the node", "max_connections", lim.MaxConnections, "lowered_to", c, "descriptor_limit", limit)
		lim.MaxConnections = c
	}
	srv, l := admin.NewHTTPServer(n.api, l, admin.ServerOptions{Limits: lim, TLS: tc, Logger: n.log, Metrics: n.apiM, FileLimit: limit})
	n.adminSrv = srv
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var err error
		if tc != nil {
			err = srv.ServeTLS(l, "", "")
		} else {
			err = srv.Serve(l)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.fatal(fmt.Errorf("admin API stopped: %w", err))
		}
	}()
	n.log.Info("admin API listening", "addr", l.Addr().String(), "tls", tc != nil, "max_connections", lim.MaxConnections)
}
