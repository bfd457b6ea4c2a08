package demoapi

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultOwner owns the tasks of every request for which Options.Owner names
// no user. Until the demo has a login, it is the only owner.
const DefaultOwner = "demo"

// Task is a task as the API returns it.
// Empty optional fields are left out of the JSON; Tags and Attachments are
// always arrays.
type Task struct {
	ID          string   `json:"id"` // t1, t2, ... per owner
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Status      string   `json:"status"` // open, in_progress or done
	Tags        []string `json:"tags"`
	Due         string   `json:"due,omitempty"`      // a date: 2025-07-15
	Priority    *int     `json:"priority,omitempty"` // 1 (most urgent) to 5
	// CreatedAt and UpdatedAt are UTC, in whole seconds.
	CreatedAt   time.Time    `json:"createdAt"`
	UpdatedAt   time.Time    `json:"updatedAt"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment describes a file attached to a task.
type Attachment struct {
	// ID is a1, a2, ... per owner; SHA256 is the hex digest of the bytes.
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Note        string `json:"note,omitempty"`
}

// taskFields are the fields a client may write.
type taskFields struct {
	Title       string
	Description string
	Status      string
	Tags        []string
	Due         string
	Priority    *int
}

type storedTask struct {
	id        string
	seq       int // creation order; ids sort badly as strings ("t10" < "t2")
	version   int
	fields    taskFields
	createdAt time.Time
	updatedAt time.Time
	files     []*storedFile
}

type storedFile struct {
	meta Attachment
	data []byte
}

// owner is one user's tasks. Tasks and attachment IDs are numbered per owner,
// so every owner sees the same deterministic seed IDs.
type owner struct {
	tasks     map[string]*storedTask
	nextTask  int
	nextFile  int
	fileBytes int64
}

// store keeps every owner's tasks in memory behind one mutex: the demo is
// small, and one lock keeps list, ETag and quota checks consistent.
type store struct {
	mu       sync.Mutex
	owners   map[string]*owner
	now      func() time.Time
	maxTasks int
	maxBytes int64
}

func newStore(now func() time.Time, maxTasks int, maxBytes int64) *store {
	return &store{owners: map[string]*owner{}, now: now, maxTasks: maxTasks, maxBytes: maxBytes}
}

// reset forgets every owner; each is seeded again on its next request.
func (s *store) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owners = map[string]*owner{}
}

// ownerLocked returns the owner's data, seeding it on first use.
func (s *store) ownerLocked(name string) *owner {
	o := s.owners[name]
	if o == nil {
		o = &owner{tasks: map[string]*storedTask{}}
		seed(o)
		s.owners[name] = o
	}
	return o
}

func (s *store) stamp() time.Time { return s.now().UTC().Truncate(time.Second) }

func (t *storedTask) etag() string { return `"` + t.id + "-" + strconv.Itoa(t.version) + `"` }

func (t *storedTask) view() Task {
	f := t.fields
	v := Task{
		ID: t.id, Title: f.Title, Description: f.Description, Status: f.Status,
		Tags: append([]string{}, f.Tags...), Due: f.Due,
		CreatedAt: t.createdAt, UpdatedAt: t.updatedAt, Attachments: []Attachment{},
	}
	if f.Priority != nil {
		p := *f.Priority
		v.Priority = &p
	}
	for _, file := range t.files {
		v.Attachments = append(v.Attachments, file.meta)
	}
	return v
}

func taskNotFound(id string) error {
	return problemf(http.StatusNotFound, "task %q not found", id)
}

// listFilter selects and orders tasks for listTasks.
type listFilter struct {
	status string
	tags   []string
	query  string
	sort   string
	limit  int
	offset int
}

func (f listFilter) match(t *storedTask) bool {
	if f.status != "" && t.fields.Status != f.status {
		return false
	}
	for _, tag := range f.tags {
		if !slices.Contains(t.fields.Tags, tag) {
			return false
		}
	}
	if f.query == "" {
		return true
	}
	q := strings.ToLower(f.query)
	return strings.Contains(strings.ToLower(t.fields.Title), q) ||
		strings.Contains(strings.ToLower(t.fields.Description), q)
}

// compare orders tasks by f.sort; ties fall back to creation order so pages
// are stable.
func (f listFilter) compare(a, b *storedTask) int {
	var c int
	switch f.sort {
	case "-createdAt":
		return cmp.Compare(b.seq, a.seq)
	case "due":
		c = compareMissingLast(a.fields.Due, b.fields.Due, a.fields.Due == "", b.fields.Due == "")
	case "priority":
		c = compareMissingLast(prio(a), prio(b), a.fields.Priority == nil, b.fields.Priority == nil)
	}
	if c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

func prio(t *storedTask) int {
	if t.fields.Priority == nil {
		return 0
	}
	return *t.fields.Priority
}

func compareMissingLast[T cmp.Ordered](a, b T, aMissing, bMissing bool) int {
	switch {
	case aMissing && bMissing:
		return 0
	case aMissing:
		return 1
	case bMissing:
		return -1
	}
	return cmp.Compare(a, b)
}

// list returns one page of matching tasks and the number of all matches.
func (s *store) list(ownerName string, f listFilter) ([]Task, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*storedTask
	for _, t := range s.ownerLocked(ownerName).tasks {
		if f.match(t) {
			hits = append(hits, t)
		}
	}
	slices.SortFunc(hits, f.compare)
	items := []Task{}
	for i := f.offset; i < len(hits) && len(items) < f.limit; i++ {
		items = append(items, hits[i].view())
	}
	return items, len(hits)
}

// get returns a task and its ETag.
func (s *store) get(ownerName, id string) (Task, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ownerLocked(ownerName).tasks[id]
	if t == nil {
		return Task{}, "", taskNotFound(id)
	}
	return t.view(), t.etag(), nil
}

// create adds a task with validated fields.
func (s *store) create(ownerName string, f taskFields) (Task, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ownerLocked(ownerName)
	if len(o.tasks) >= s.maxTasks {
		return Task{}, "", problemf(http.StatusConflict, "the demo keeps at most %d tasks; delete some first", s.maxTasks)
	}
	now := s.stamp()
	t := o.add(f, now)
	return t.view(), t.etag(), nil
}

func (o *owner) add(f taskFields, at time.Time) *storedTask {
	o.nextTask++
	t := &storedTask{
		id: "t" + strconv.Itoa(o.nextTask), seq: o.nextTask, version: 1,
		fields: f, createdAt: at, updatedAt: at,
	}
	o.tasks[t.id] = t
	return t
}

// update changes a task's fields with apply, after checking ifMatch (the
// If-Match header, empty when absent) against the task's ETag.
func (s *store) update(ownerName, id, ifMatch string, apply func(*taskFields)) (Task, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ownerLocked(ownerName).tasks[id]
	if t == nil {
		return Task{}, "", taskNotFound(id)
	}
	if ifMatch != "" && !etagMatches(ifMatch, t.etag()) {
		return Task{}, "", problemf(http.StatusPreconditionFailed,
			"If-Match %s does not match the task's current ETag %s", ifMatch, t.etag())
	}
	apply(&t.fields)
	t.version++
	t.updatedAt = s.stamp()
	return t.view(), t.etag(), nil
}

// etagMatches implements the strong comparison of RFC 9110 If-Match.
func etagMatches(header, etag string) bool {
	for cand := range strings.SplitSeq(header, ",") {
		cand = strings.TrimSpace(cand)
		if cand == "*" || cand == etag {
			return true
		}
	}
	return false
}

// remove deletes a task with its attachments.
func (s *store) remove(ownerName, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ownerLocked(ownerName)
	t := o.tasks[id]
	if t == nil {
		return taskNotFound(id)
	}
	for _, f := range t.files {
		o.fileBytes -= f.meta.Size
	}
	delete(o.tasks, id)
	return nil
}

// attach stores a file on a task; meta.ID is assigned here.
func (s *store) attach(ownerName, taskID string, meta Attachment, data []byte) (Attachment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.ownerLocked(ownerName)
	t := o.tasks[taskID]
	if t == nil {
		return Attachment{}, taskNotFound(taskID)
	}
	if o.fileBytes+int64(len(data)) > s.maxBytes {
		return Attachment{}, problemf(http.StatusConflict,
			"the demo keeps at most %d bytes of attachments; delete some tasks first", s.maxBytes)
	}
	o.attachLocked(t, meta, data)
	t.updatedAt = s.stamp()
	return t.files[len(t.files)-1].meta, nil
}

func (o *owner) attachLocked(t *storedTask, meta Attachment, data []byte) {
	o.nextFile++
	meta.ID = "a" + strconv.Itoa(o.nextFile)
	t.files = append(t.files, &storedFile{meta: meta, data: data})
	o.fileBytes += int64(len(data))
	t.version++ // the task's representation now lists one more attachment
}

// file returns an attachment's metadata and bytes. The bytes are never
// changed after upload, so sharing them outside the lock is safe.
func (s *store) file(ownerName, taskID, fileID string) (Attachment, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ownerLocked(ownerName).tasks[taskID]
	if t == nil {
		return Attachment{}, nil, taskNotFound(taskID)
	}
	for _, f := range t.files {
		if f.meta.ID == fileID {
			return f.meta, f.data, nil
		}
	}
	return Attachment{}, nil, problemf(http.StatusNotFound, "task %q has no attachment %q", taskID, fileID)
}
