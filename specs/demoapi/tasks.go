package demoapi

import (
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// TaskList is the body of a listTasks response.
type TaskList struct {
	Items  []Task `json:"items"`
	Total  int    `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
}

// sortCookie is the cookie parameter of listTasks.
const sortCookie = "task_sort"

func (a *API) listTasks(w http.ResponseWriter, r *http.Request) {
	f, err := parseListQuery(r)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	items, total := a.store.list(a.owner(r), f)
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, a.log, http.StatusOK, TaskList{Items: items, Total: total, Limit: f.limit, Offset: f.offset})
}

func parseListQuery(r *http.Request) (listFilter, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return listFilter{}, badRequest("invalid query string: %v", err)
	}
	f := listFilter{sort: "createdAt", limit: 20, tags: vals["tag"]}
	if c, err := r.Cookie(sortCookie); err == nil {
		if err := checkEnum("cookie "+sortCookie, c.Value, sorts); err != nil {
			return listFilter{}, err
		}
		f.sort = c.Value
	}
	for _, p := range []struct {
		name  string
		parse func(string) error
	}{
		{"status", func(v string) error { f.status = v; return checkStatus(v) }},
		{"q", func(v string) error {
			f.query = v
			if n := utf8.RuneCountInString(v); n > maxQueryLen {
				return badRequest("q must be at most %d characters, got %d", maxQueryLen, n)
			}
			return nil
		}},
		{"sort", func(v string) error { f.sort = v; return checkEnum("sort", v, sorts) }},
		{"limit", func(v string) (err error) { f.limit, err = parseIntIn("limit", v, 1, 100); return err }},
		{"offset", func(v string) (err error) { f.offset, err = parseIntIn("offset", v, 0, 1<<31-1); return err }},
	} {
		vs, ok := vals[p.name]
		if !ok {
			continue
		}
		if len(vs) > 1 {
			return listFilter{}, badRequest("query parameter %s must be given at most once, got %d values", p.name, len(vs))
		}
		if err := p.parse(vs[0]); err != nil {
			return listFilter{}, err
		}
	}
	return f, nil
}

func parseIntIn(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("%s must be an integer, got %q", name, v)
	}
	if n < lo || n > hi {
		return 0, badRequest("%s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return n, nil
}

func (a *API) getTask(w http.ResponseWriter, r *http.Request) {
	t, etag, err := a.store.get(a.owner(r), r.PathValue("taskId"))
	a.writeTask(w, http.StatusOK, t, etag, err)
}

func (a *API) createTask(w http.ResponseWriter, r *http.Request) {
	var body newTaskBody
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, a.log, err)
		return
	}
	f, err := body.fields()
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	t, etag, err := a.store.create(a.owner(r), f)
	if err == nil {
		w.Header().Set("Location", BasePath+"/tasks/"+url.PathEscape(t.ID))
	}
	a.writeTask(w, http.StatusCreated, t, etag, err)
}

func (a *API) replaceTask(w http.ResponseWriter, r *http.Request) {
	var body newTaskBody
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, a.log, err)
		return
	}
	f, err := body.fields()
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	t, etag, err := a.store.update(a.owner(r), r.PathValue("taskId"), r.Header.Get("If-Match"),
		func(old *taskFields) { *old = f })
	a.writeTask(w, http.StatusOK, t, etag, err)
}

func (a *API) updateTask(w http.ResponseWriter, r *http.Request) {
	apply, err := decodePatch(r)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	t, etag, err := a.store.update(a.owner(r), r.PathValue("taskId"), r.Header.Get("If-Match"), apply)
	a.writeTask(w, http.StatusOK, t, etag, err)
}

func (a *API) deleteTask(w http.ResponseWriter, r *http.Request) {
	if err := a.store.remove(a.owner(r), r.PathValue("taskId")); err != nil {
		writeError(w, a.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) writeTask(w http.ResponseWriter, status int, t Task, etag string, err error) {
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	w.Header().Set("ETag", etag)
	writeJSON(w, a.log, status, t)
}
