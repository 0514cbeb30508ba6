package main

import (
	"testing"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestReplaceInStringsKeepsSizes(t *testing.T) {
	item := map[string]ddb.AttributeValue{
		"pk":        str("PRODUCT#prd_aaaaaaaaaa"),
		"after":     str(`{"id":"prd_aaaaaaaaaa","name":"x"}`),
		"customers": &ddb.AttributeValueMemberN{Value: "120"},
		"strategic": &ddb.AttributeValueMemberBOOL{Value: false},
	}
	out := replaceInStrings(item, "prd_aaaaaaaaaa", "prd_bbbbbbbbbb")
	if got := out["pk"].(*ddb.AttributeValueMemberS).Value; got != "PRODUCT#prd_bbbbbbbbbb" {
		t.Errorf("pk = %q", got)
	}
	if got := out["after"].(*ddb.AttributeValueMemberS).Value; got != `{"id":"prd_bbbbbbbbbb","name":"x"}` {
		t.Errorf("after = %q", got)
	}
	if item["pk"].(*ddb.AttributeValueMemberS).Value != "PRODUCT#prd_aaaaaaaaaa" {
		t.Error("the template changed")
	}
	if itemSize(out) != itemSize(item) {
		t.Errorf("size %d, template %d", itemSize(out), itemSize(item))
	}
	if want := 2 + 22 + 5 + 34 + 9 + 3 + 9 + 1; itemSize(item) != want {
		t.Errorf("itemSize = %d, want %d", itemSize(item), want)
	}
}
