package health

import (
	"container/heap"
	"time"
)

// expiry is when one external check's pushed status expires.
type expiry struct {
	at    time.Time
	check string
}

// expiryHeap orders expiries soonest first, so time passing costs the
// statuses that expire, not the number of external checks.
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

// Push and Pop are heap.Interface's; use push and pop.
func (h *expiryHeap) Push(x any) { *h = append(*h, x.(expiry)) }

// Pop is heap.Interface's.
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *expiryHeap) push(x expiry) { heap.Push(h, x) }
func (h *expiryHeap) pop() expiry   { return heap.Pop(h).(expiry) }
