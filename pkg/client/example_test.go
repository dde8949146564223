package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/client"
)

// Drain an endpoint, look at its health, and undrain it; a second undrain
// is refused with 404.
func Example() {
	// A node's admin API; in real use, the URL of a running gtmd.
	h, err := admin.New(admin.Options{Backend: admintest.New("n1", nil), NodeID: "n1"})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx := context.Background()
	c, err := client.New(client.Options{URL: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Drain(ctx, "www.example.com", "us-east", "maintenance"); err != nil {
		log.Fatal(err)
	}
	eps, err := c.Health(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range eps {
		fmt.Println(e.Endpoint, e.Healthy)
	}
	if _, err := c.ClearOverride(ctx, "www.example.com", "us-east"); err != nil {
		log.Fatal(err)
	}
	if res, err := c.ClearOverride(ctx, "www.example.com", "us-east"); err == nil && res.NoOverride {
		fmt.Println("us-east had no override left")
	}
	_, err = c.Drain(ctx, "www.example.com", "ap-south", "")
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		fmt.Println(ae.Message)
	}
	// Output:
	// us-east false
	// eu-west true
	// us-east had no override left
	// service www.example.com. has no endpoint ap-south; its endpoints are us-east, eu-west: not found
}
