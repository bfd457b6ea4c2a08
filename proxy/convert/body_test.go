package convert

import (
	"reflect"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// contentSpec builds a POST /x whose request body offers the given content
// map (YAML, indented for the `content:` key).
func contentSpec(version, content string) string {
	return "openapi: " + version + `
info: {title: t, version: '1'}
paths:
  /x:
    post:
      operationId: op
      requestBody:
        content:
` + content + `
      responses: {'204': {description: ok}}
`
}

func TestBodyMediaPreference(t *testing.T) {
	for _, tc := range []struct {
		name, content, media string
		kind                 catalog.BodyKind
	}{
		{"json first", `          application/xml: {schema: {type: object}}
          multipart/form-data: {schema: {type: object}}
          application/json: {schema: {type: object}}`, "application/json", catalog.BodyJSON},
		{"json suffix", `          application/x-www-form-urlencoded: {schema: {type: object}}
          application/merge-patch+json: {schema: {type: object}}`, "application/merge-patch+json", catalog.BodyJSON},
		{"form before multipart", `          multipart/form-data: {schema: {type: object}}
          application/x-www-form-urlencoded: {schema: {type: object}}`, "application/x-www-form-urlencoded", catalog.BodyForm},
		{"text", `          text/plain: {schema: {type: string}}
          application/octet-stream: {}`, "text/plain", catalog.BodyText},
		{"sdp is text", `          application/sdp: {schema: {type: string}}`, "application/sdp", catalog.BodyText},
		{"binary", `          image/png: {schema: {type: string, format: binary}}`, "image/png", catalog.BodyBinary},
		{"wildcard", `          '*/*': {schema: {type: string, format: binary}}`, "application/octet-stream", catalog.BodyBinary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := mustOp(t, convertYAML(t, contentSpec("3.0.3", tc.content), Options{}), "POST", "/x")
			if op.Body == nil || op.Body.MediaType != tc.media || op.Body.Kind != tc.kind {
				t.Errorf("body %+v, want %s %s", op.Body, tc.media, tc.kind)
			}
		})
	}
}

func TestTextAndBinaryBodies(t *testing.T) {
	op := mustOp(t, convertYAML(t, contentSpec("3.0.3", `          text/plain: {schema: {type: string, description: the text}}`), Options{}), "POST", "/x")
	jsonEq(t, at(t, decode(t, op.InputSchema), "properties", "body"), `{"type":"string","description":"the text"}`)
	op = mustOp(t, convertYAML(t, contentSpec("3.0.3", `          application/octet-stream: {schema: {type: string, format: binary}}`), Options{}), "POST", "/x")
	jsonEq(t, at(t, decode(t, op.InputSchema), "properties", "body"),
		`{"type":"string","contentEncoding":"base64","description":"Request body (application/octet-stream), base64-encoded."}`)
	spec := strings.Replace(contentSpec("3.0.3", `          image/png: {}`), "      requestBody:\n", "      requestBody:\n        description: The picture.\n", 1)
	op = mustOp(t, convertYAML(t, spec, Options{}), "POST", "/x")
	jsonEq(t, at(t, decode(t, op.InputSchema), "properties", "body"),
		`{"type":"string","contentEncoding":"base64","description":"The picture.\n\nRequest body (image/png), base64-encoded."}`)
}

func TestFormBody(t *testing.T) {
	op := mustOp(t, convertYAML(t, contentSpec("3.0.3", `          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [grant_type]
              properties:
                grant_type: {type: string, enum: [refresh_token]}
                refresh_token: {type: string}`), Options{}), "POST", "/x")
	if op.Body.Kind != catalog.BodyForm || op.Body.FileFields != nil {
		t.Errorf("body %+v", op.Body)
	}
	jsonEq(t, at(t, decode(t, op.InputSchema), "properties", "body", "required"), `["grant_type"]`)
}

func TestMultipartBody(t *testing.T) {
	spec := contentSpec("3.0.3", `          multipart/form-data:
            schema:
              $ref: '#/components/schemas/Upload'
            encoding:
              meta: {contentType: application/json}
              file: {contentType: image/png}`) + `components:
  schemas:
    Upload:
      type: object
      required: [file]
      properties:
        file: {type: string, format: binary, description: The picture.}
        more: {type: array, items: {type: string, format: base64}}
        meta: {type: object, properties: {name: {type: string}}}
`
	op := mustOp(t, convertYAML(t, spec, Options{}), "POST", "/x")
	want := &catalog.Body{Arg: "body", MediaType: "multipart/form-data", Kind: catalog.BodyMultipart,
		FileFields:        []string{"file", "more"},
		FieldContentTypes: map[string]string{"file": "image/png", "meta": "application/json"}}
	if !reflect.DeepEqual(op.Body, want) {
		t.Errorf("body\n got %+v\nwant %+v", op.Body, want)
	}
	body := at(t, decode(t, op.InputSchema), "properties", "body")
	file := at(t, body, "properties", "file")
	if !has(file, "anyOf") || at(t, file, "anyOf").([]any)[0].(map[string]any)["contentEncoding"] != "base64" {
		t.Errorf("file field schema %v", file)
	}
	if at(t, body, "properties", "more", "type") != "array" || !has(at(t, body, "properties", "more", "items"), "anyOf") {
		t.Errorf("file array schema %v", at(t, body, "properties", "more"))
	}
	jsonEq(t, at(t, body, "required"), `["file"]`)
}

func TestMultipartAllOf31(t *testing.T) {
	// Discord's shape: the file parts sit in one allOf member, with the 3.1
	// contentEncoding instead of format: binary.
	spec := contentSpec("3.1.0", `          multipart/form-data:
            schema:
              allOf:
                - {$ref: '#/components/schemas/Message'}
                - type: object
                  properties:
                    'files[0]': {type: string, contentEncoding: binary}
                    'files[1]': {type: string, contentMediaType: image/png}
                    payload_json: {type: string, contentMediaType: application/json}`) + `components:
  schemas:
    Message: {type: object, properties: {content: {type: string}}}
`
	op := mustOp(t, convertYAML(t, spec, Options{}), "POST", "/x")
	if !reflect.DeepEqual(op.Body.FileFields, []string{"files[0]", "files[1]"}) {
		t.Errorf("file fields %v", op.Body.FileFields)
	}
}

func TestSwagger2FormData(t *testing.T) {
	spec := `swagger: '2.0'
info: {title: t, version: '1'}
paths:
  /upload:
    post:
      operationId: upload
      consumes: [multipart/form-data]
      parameters:
        - {name: file, in: formData, type: file, required: true}
        - {name: note, in: formData, type: string}
      responses: {'204': {description: ok}}
`
	op := mustOp(t, convertYAML(t, spec, Options{}), "POST", "/upload")
	if op.Body == nil || op.Body.Kind != catalog.BodyMultipart || !reflect.DeepEqual(op.Body.FileFields, []string{"file"}) {
		t.Errorf("body %+v", op.Body)
	}
}
