// Command target is a stand-in for a region's web server in the quick
// start: it answers "ok" on /healthz until you stop it, so gtmd's health
// check sees the region come and go.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to serve on")
	flag.Parse()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	log.Printf("target: serving http://%s/healthz (Ctrl-C to take the region down)", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
