package client

import (
	"fmt"
	"os"
	"strings"
)

// ReadTokenFile reads a bearer token from a file that holds it alone,
// as the operator subcommands' --token-file does: surrounding blank
// space is dropped, and an empty file or one with more than one word is
// refused rather than sent.
func ReadTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the token file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("the token file %s is empty", path)
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("the token file %s holds more than one word; it should hold the token alone", path)
	}
	return token, nil
}
