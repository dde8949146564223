package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

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

// serveAdmin serves the API on l, over HTTPS when tc is set.
func serveAdmin(l net.Listener, tc *tls.Config, h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{Handler: h, TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		var err error
		if tc != nil {
			err = srv.ServeTLS(l, "", "")
		} else {
			err = srv.Serve(l)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin API stopped", "err", err)
		}
	}()
	log.Info("admin API listening", "addr", l.Addr().String(), "tls", tc != nil)
	return srv
}
