package storagecodec

import (
	"encoding/json"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// The original server stored approvalstatus as its clients wrote it, in any
// letter case; this API reads only the approval words. repairLegacyJSON gives
// such a value the word it stands for, so that the object is served rather
// than failing as corrupt. Other values that do not decode stay corrupt.

// repairLegacyJSON returns data, a v1alpha object in JSON, with its
// approvalstatus spelled as this API reads it, and whether it changed
// anything. Every other field is kept as stored.
func repairLegacyJSON(data []byte) ([]byte, bool) {
	if EncodingOf(data) != EncodingJSON {
		return nil, false
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) != nil {
		return nil, false
	}
	var apiVersion string
	if json.Unmarshal(doc["apiVersion"], &apiVersion) != nil || apiVersion != v1alpha.SchemeGroupVersion.String() {
		return nil, false
	}
	var status map[string]json.RawMessage
	if json.Unmarshal(doc["status"], &status) != nil {
		return nil, false
	}
	var stored string
	if json.Unmarshal(status["approvalstatus"], &stored) != nil {
		return nil, false
	}
	word, ok := v1alpha.StoredApproval(stored)
	if !ok || string(word) == stored {
		return nil, false
	}
	var err error
	if status["approvalstatus"], err = json.Marshal(word); err != nil {
		return nil, false
	}
	if doc["status"], err = json.Marshal(status); err != nil {
		return nil, false
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, false
	}
	return out, true
}
