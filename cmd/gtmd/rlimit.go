package main

import "log/slog"

// raiseOpenFileLimit raises the descriptor limit to the hard limit at
// start and says once what the node runs with, so that running out later
// can be read against it.
func raiseOpenFileLimit(log *slog.Logger) {
	soft, hard, err := raiseFileLimit()
	switch {
	case err != nil:
		log.Warn("open file limit not raised", "err", err, "limit", soft)
	case soft > 0:
		log.Info("open file limit", "limit", soft, "hard_limit", hard)
	}
}
