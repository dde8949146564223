package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// runApply checks the document here (zone files merged, faults with
// file:line, the size it is stored at), then sends its stored form.
func runApply(c *cliRun, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	if c.file == "" {
		return usagef("-f FILE is required")
	}
	if c.wait && c.dryRun {
		return usagef("--wait and --dry-run do not go together: a dry run stores nothing")
	}
	if c.waitTimeout != 0 && !c.wait {
		return usagef("--wait-timeout needs --wait")
	}
	if c.waitTimeout < 0 || c.waitTimeout > admin.MaxWaitTimeout {
		return usagef("--wait-timeout %s: want at most %s", c.waitTimeout, admin.MaxWaitTimeout)
	}
	doc, err := config.LoadTraffic(c.file)
	if err != nil {
		return fmt.Errorf("%s is invalid, nothing was sent:\n%w", c.file, err)
	}
	// The body is the stored form, so one the store could not hold is
	// refused here with its size, as gtmd validate does, rather than by
	// the node with only its limit on bodies.
	body, err := config.EncodeStored(doc)
	if err != nil {
		return fmt.Errorf("%s cannot be applied, nothing was sent: %w", c.file, err)
	}
	q := url.Values{}
	timeout := requestTimeout
	if c.dryRun {
		q.Set("dry_run", "1")
	}
	if c.wait {
		q.Set("wait", "insync")
		wait := admin.DefaultWaitTimeout
		if c.waitTimeout > 0 {
			wait = c.waitTimeout
			q.Set("wait_timeout", c.waitTimeout.String())
		}
		timeout += wait
	}
	req := apiRequest{method: http.MethodPut, path: "/v1/config", query: q, body: body, contentType: "application/json", timeout: timeout}
	if c.ifMatch > 0 {
		req.ifMatch = `"` + strconv.FormatInt(c.ifMatch, 10) + `"`
	}
	_, data, err := c.api.do(c.ctx, req)
	if err != nil {
		return err
	}
	if c.dryRun {
		var res admin.DryRunResult
		if err := decodeAnswer(data, &res); err != nil {
			return err
		}
		if c.output == "json" {
			return c.write(data)
		}
		fmt.Fprintf(c.stdout, "%s: valid (%d zones, %d services, %d checks); dry run, nothing changed (revision %d)\n",
			c.file, res.Zones, res.Services, res.Checks, res.Revision)
		return nil
	}
	var res admin.ApplyResult
	if err := decodeAnswer(data, &res); err != nil {
		return err
	}
	if c.output == "json" {
		if err := c.write(data); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "%s: applied as revision %d, %s (%d of %d nodes serve it)\n",
			c.file, res.Revision, res.Status, len(res.Members)-len(res.NotInSync), len(res.Members))
		for _, m := range res.Members {
			if !m.InSync {
				fmt.Fprintf(c.stdout, "  %s serves revision %d\n", m.ID, m.Revision)
			}
		}
	}
	if c.wait && !res.InSync {
		return fmt.Errorf("revision %d is stored, but %s did not serve it within %s", res.Revision, orList(res.NotInSync, "the nodes"), res.Waited)
	}
	return nil
}

func orList(ids []string, none string) string {
	if len(ids) == 0 {
		return none
	}
	return strings.Join(ids, ", ")
}

// runGet prints the traffic document, as YAML (with its revision in a
// comment) or JSON.
func runGet(c *cliRun, args []string) error {
	if err := wantArgs(args, 1, 1, "what to get: config"); err != nil {
		return err
	}
	if args[0] != "config" {
		return usagef("gtmd get %s: the only thing to get is config", args[0])
	}
	accept := "application/json"
	if c.output == "yaml" {
		accept = "application/yaml"
	}
	resp, data, err := c.api.do(c.ctx, apiRequest{method: http.MethodGet, path: "/v1/config", accept: accept})
	if err != nil {
		return err
	}
	if c.output == "yaml" {
		if rev := resp.Header.Get("X-Gtmd-Revision"); rev != "" {
			fmt.Fprintf(c.stdout, "# revision %s\n", rev)
		}
	}
	return c.write(data)
}

func runHealth(c *cliRun, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	var hl admin.HealthList
	data, err := c.api.getJSON(c.ctx, "/v1/health", nil, &hl)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.write(data)
	}
	return printHealth(c.stdout, hl.Endpoints, time.Now())
}

func runMembers(c *cliRun, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	var ml admin.MemberList
	data, err := c.api.getJSON(c.ctx, "/v1/members", nil, &ml)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.write(data)
	}
	return printMembers(c.stdout, ml.Members, time.Now())
}

func runDrain(c *cliRun, args []string) error {
	if err := wantArgs(args, 2, 2, "SERVICE ENDPOINT"); err != nil {
		return err
	}
	var res admin.OverrideResult
	data, err := c.api.sendJSON(c.ctx, http.MethodPut, overridePath(args), admin.OverrideRequest{State: "down", Reason: c.reason}, &res)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.write(data)
	}
	fmt.Fprintf(c.stdout, "drained %s of %s: every node leaves it out of its answers until gtmd undrain\n", res.Endpoint, res.Service)
	return nil
}

func runUndrain(c *cliRun, args []string) error {
	if err := wantArgs(args, 2, 2, "SERVICE ENDPOINT"); err != nil {
		return err
	}
	var res admin.OverrideResult
	data, err := c.api.sendJSON(c.ctx, http.MethodDelete, overridePath(args), nil, &res)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.write(data)
	}
	fmt.Fprintf(c.stdout, "undrained %s of %s: its health checks decide again\n", res.Endpoint, res.Service)
	return nil
}

func overridePath(args []string) string {
	return "/v1/overrides/" + url.PathEscape(args[0]) + "/" + url.PathEscape(args[1])
}

// runExplain shows one node's answer, or with --all-nodes every node's,
// failing when they disagree.
func runExplain(c *cliRun, args []string) error {
	if err := wantArgs(args, 1, 2, "NAME [TYPE]"); err != nil {
		return err
	}
	q := url.Values{"name": {args[0]}}
	if len(args) == 2 {
		q.Set("type", args[1])
	}
	if c.client != "" {
		q.Set("client", c.client)
	}
	if c.ecs != "" {
		q.Set("ecs", c.ecs)
	}
	if !c.allNodes {
		var ex admin.Explanation
		data, err := c.api.getJSON(c.ctx, "/v1/explain", q, &ex)
		if err != nil {
			return err
		}
		if c.output == "json" {
			return c.write(data)
		}
		return printExplanation(c.stdout, &ex)
	}
	q.Set("all_nodes", "1")
	var all admin.ExplainAll
	data, err := c.api.getJSON(c.ctx, "/v1/explain", q, &all)
	if err != nil {
		return err
	}
	if c.output == "json" {
		err = c.write(data)
	} else {
		err = printExplainAll(c.stdout, &all)
	}
	if err == nil && !all.Agree {
		err = fmt.Errorf("the nodes disagree: %s", all.Disagreement)
	}
	return err
}

// write prints an answer as it came, ending in a newline.
func (c *cliRun) write(data []byte) error {
	if _, err := c.stdout.Write(data); err != nil {
		return err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		_, err := c.stdout.Write([]byte{'\n'})
		return err
	}
	return nil
}
