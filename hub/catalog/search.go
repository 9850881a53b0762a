package catalog

import (
	"slices"
	"strings"
	"unicode"

	"github.com/alkdev/alkhub/operations"
)

// Field weights of the search score. A query term that only prefixes a
// token of a field scores half that field's weight.
const (
	weightName        = 3 // the id or the name
	weightTitle       = 2
	weightTags        = 2
	weightDescription = 1
)

// searchIndex is an inverted index from token to the best weight of that
// token in each entry. The caller holds the catalog's lock.
type searchIndex struct {
	postings map[string]map[string]float64 // token -> id -> weight
	byID     map[string][]string           // id -> its tokens, for removal
	sorted   []string                      // distinct tokens, for prefix scans
	dirty    bool
}

func newSearchIndex() *searchIndex {
	return &searchIndex{
		postings: make(map[string]map[string]float64),
		byID:     make(map[string][]string),
	}
}

func (ix *searchIndex) put(id string, spec operations.OperationSpec) {
	ix.remove(id)

	weights := map[string]float64{}
	add := func(text string, w float64) {
		for _, tok := range Tokenize(text) {
			if w > weights[tok] {
				weights[tok] = w
			}
		}
	}
	add(id, weightName)
	add(spec.Name, weightName)
	add(spec.Title, weightTitle)
	for _, tag := range spec.Tags {
		add(tag, weightTags)
	}
	add(spec.Description, weightDescription)

	tokens := make([]string, 0, len(weights))
	for tok, w := range weights {
		ids, ok := ix.postings[tok]
		if !ok {
			ids = make(map[string]float64)
			ix.postings[tok] = ids
			ix.dirty = true
		}
		ids[id] = w
		tokens = append(tokens, tok)
	}
	ix.byID[id] = tokens
}

func (ix *searchIndex) remove(id string) {
	for _, tok := range ix.byID[id] {
		ids := ix.postings[tok]
		delete(ids, id)
		if len(ids) == 0 {
			delete(ix.postings, tok)
			ix.dirty = true
		}
	}
	delete(ix.byID, id)
}

// score returns, per matching id, the sum over query terms of the best
// weight each term matched: the full weight on an exact token, half of it on
// a token the term only prefixes. It reads the sorted token list as the
// last sortTokens call left it.
func (ix *searchIndex) score(terms []string) map[string]float64 {
	tokens := ix.sorted
	total := map[string]float64{}
	for _, term := range terms {
		best := map[string]float64{}
		start, _ := slices.BinarySearch(tokens, term)
		for _, tok := range tokens[start:] {
			if !strings.HasPrefix(tok, term) {
				break
			}
			factor := 0.5
			if tok == term {
				factor = 1
			}
			for id, w := range ix.postings[tok] {
				if s := w * factor; s > best[id] {
					best[id] = s
				}
			}
		}
		for id, s := range best {
			total[id] += s
		}
	}
	return total
}

// sortTokens rebuilds the sorted list of distinct tokens after tokens were
// added or removed. It needs the catalog's write lock; the new slice never
// aliases the old one, so readers of the old list stay safe.
func (ix *searchIndex) sortTokens() {
	if !ix.dirty {
		return
	}
	sorted := make([]string, 0, len(ix.postings))
	for tok := range ix.postings {
		sorted = append(sorted, tok)
	}
	slices.Sort(sorted)
	ix.sorted = sorted
	ix.dirty = false
}

// Tokenize splits text into lowercase tokens at every character that is not
// a letter or digit and at camelCase boundaries ("worktreeCreate" gives
// "worktree" and "create", "HTTPServer" gives "http" and "server").
func Tokenize(text string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	runes := []rune(text)
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}
