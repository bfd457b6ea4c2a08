package demoapi

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// seedTime is when the seed tasks were "created"; fixed so that tests and
// recorded demos are reproducible.
var seedTime = time.Date(2025, 5, 5, 9, 0, 0, 0, time.UTC)

// boardSketchPNG is a valid 4x4 two-colour PNG, so that downloading the seed
// image attachment exercises a real image result.
var boardSketchPNG = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x01, 0x03, 0x00, 0x00, 0x00, 0x93, 0x3f, 0x0c,
	0x3d, 0x00, 0x00, 0x00, 0x06, 0x50, 0x4c, 0x54, 0x45, 0x2e, 0x6f, 0xd8, 0xff, 0xff, 0xff, 0x60,
	0xfd, 0x8a, 0x71, 0x00, 0x00, 0x00, 0x14, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x62, 0x68, 0x60,
	0x70, 0x60, 0x50, 0x60, 0x10, 0x00, 0x04, 0x00, 0x00, 0xff, 0xff, 0x05, 0x38, 0x00, 0xf1, 0x77,
	0xee, 0xf4, 0x96, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
}

const ciFailureLog = `--- FAIL: TestLoginRedirect (0.31s)
    login_test.go:88: expected redirect to /dashboard, got 500
FAIL	example.com/app/auth	1.204s
`

func intPtr(n int) *int { return &n }

// seed fills a new owner with the same tasks t1..t5 and attachments a1, a2
// every time.
func seed(o *owner) {
	tasks := []taskFields{
		{Title: "Write onboarding guide for new engineers", Description: "Cover laptop setup, repository access and the first-week checklist.",
			Status: "in_progress", Tags: []string{"docs", "onboarding"}, Due: "2025-07-15", Priority: intPtr(2)},
		{Title: "Fix flaky login test on CI", Description: "TestLoginRedirect fails about one run in ten; the log of a failing run is attached.",
			Status: "open", Tags: []string{"bug", "ci"}, Priority: intPtr(1)},
		{Title: "Plan the Q3 roadmap review", Status: "open", Tags: []string{"planning"}, Due: "2025-06-30", Priority: intPtr(3)},
		{Title: "Upgrade the Go toolchain", Description: "Bump go.mod and the CI image, then run the full test suite.",
			Status: "done", Tags: []string{"maintenance"}, Priority: intPtr(4)},
		{Title: "Design the new task board layout", Description: "First sketch attached; gather feedback from the team.",
			Status: "open", Tags: []string{"design", "frontend"}, Due: "2025-08-01"},
	}
	var made []*storedTask
	for i, f := range tasks {
		made = append(made, o.add(f, seedTime.Add(time.Duration(i)*time.Hour)))
	}
	seedFile(o, made[1], "ci-failure.log", "text/plain; charset=utf-8", "Output of CI run #4812", []byte(ciFailureLog))
	seedFile(o, made[4], "board-sketch.png", "image/png", "", boardSketchPNG)
}

func seedFile(o *owner, t *storedTask, name, contentType, note string, data []byte) {
	sum := sha256.Sum256(data)
	o.attachLocked(t, Attachment{
		Filename: name, ContentType: contentType, Size: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), Note: note,
	}, data)
	t.updatedAt = t.createdAt.Add(10 * time.Minute)
}
