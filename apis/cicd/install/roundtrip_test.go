package install

import (
	"os"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"

	"github.com/autobusi/cicd-apiserver/apis/cicd/fuzzer"
)

// fuzzIters is how many fuzzed objects each round trip runs per type;
// CICD_FUZZ_ITERS overrides it.
func fuzzIters(t *testing.T) int {
	n := 300
	if s := os.Getenv("CICD_FUZZ_ITERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("CICD_FUZZ_ITERS=%q: want a positive number", s)
		}
		n = v
	}
	return n
}

// TestRoundTrip fuzzes valid hub objects and sends each through v1alpha and
// v1beta, in JSON and in protobuf: hub → version → bytes → version → hub must
// lose nothing (API.md, round-trip rule 1). It also round-trips fuzzed external
// objects of both versions through both encodings.
func TestRoundTrip(t *testing.T) {
	old := *roundtrip.FuzzIters
	*roundtrip.FuzzIters = fuzzIters(t)
	defer func() { *roundtrip.FuzzIters = old }()

	roundtrip.RoundTripProtobufTestForAPIGroup(t, Install, fuzzer.Funcs)
}
