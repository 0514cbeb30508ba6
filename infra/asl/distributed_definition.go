package asl

import "strings"

// Resources a Distributed Map reads its items from and writes its results to.
const (
	resourceS3GetObject     = "arn:aws:states:::s3:getObject"
	resourceS3ListObjectsV2 = "arn:aws:states:::s3:listObjectsV2"
	resourceS3PutObject     = "arn:aws:states:::s3:putObject"
)

// distributedMap is what only a Map with a DISTRIBUTED processor has.
type distributedMap struct {
	reader  *itemReader
	batcher *itemBatcher
	writer  *resultWriter
	label   string
	// Tolerated failures; a nil path and a negative value mean "not set".
	toleratedPercent     float64
	toleratedPercentPath *jsonPath
	toleratedCount       int64
	toleratedCountPath   *jsonPath
}

// itemReader is an ItemReader: where the items come from.
type itemReader struct {
	resource   string
	parameters *payloadTemplate
	// ReaderConfig.
	inputType    string // JSON, JSONL or CSV for s3:getObject
	csvFromFile  bool   // CSVHeaderLocation FIRST_ROW
	csvHeaders   []string
	maxItems     int64
	maxItemsPath *jsonPath
}

// itemBatcher is an ItemBatcher: how items are grouped for one child.
type itemBatcher struct {
	maxItems     int64
	maxItemsPath *jsonPath
	maxBytes     int64
	maxBytesPath *jsonPath
	batchInput   *payloadTemplate
}

// resultWriter is a ResultWriter: where the children's results go.
type resultWriter struct {
	parameters *payloadTemplate
}

// maxBatchBytes is AWS's upper bound on MaxInputBytesPerBatch (256 KiB).
const maxBatchBytes = 262144

// distributedMap compiles the Distributed Map fields of a Map state. They
// need a DISTRIBUTED processor, as on Step Functions.
func (p *definitionParser) distributedMap(st *state, obj *object, where string) {
	fields := []string{"ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage",
		"ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"}
	distributed := st.processor != nil && st.processor.distributed
	if !distributed {
		for _, f := range fields {
			if _, ok := obj.get(f); ok {
				p.addf(where, "%s needs ItemProcessor.ProcessorConfig.Mode DISTRIBUTED", f)
			}
		}
		return
	}
	d := &distributedMap{toleratedPercent: -1, toleratedCount: -1}
	d.label, _ = p.optionalString(obj, "Label", where)
	if v, ok := obj.get("ItemReader"); ok {
		d.reader = p.itemReader(v, joinWhere(where, "ItemReader"))
	}
	if v, ok := obj.get("ItemBatcher"); ok {
		d.batcher = p.itemBatcher(v, joinWhere(where, "ItemBatcher"))
	}
	if v, ok := obj.get("ResultWriter"); ok {
		d.writer = p.resultWriter(v, joinWhere(where, "ResultWriter"))
	}
	if v, ok := obj.get("ToleratedFailurePercentage"); ok {
		n, isNum := toNumber(v)
		if !isNum || n < 0 || n > 100 {
			p.addf(where, "ToleratedFailurePercentage must be a number from 0 to 100")
		}
		d.toleratedPercent = n
	}
	d.toleratedPercentPath = p.referencePath(obj, "ToleratedFailurePercentagePath", where)
	if _, ok := obj.get("ToleratedFailurePercentage"); ok && d.toleratedPercentPath != nil {
		p.addf(where, "ToleratedFailurePercentage and ToleratedFailurePercentagePath are mutually exclusive")
	}
	if n, ok := p.integer(obj, "ToleratedFailureCount", where, 0); ok {
		d.toleratedCount = n
	}
	d.toleratedCountPath = p.referencePath(obj, "ToleratedFailureCountPath", where)
	if _, ok := obj.get("ToleratedFailureCount"); ok && d.toleratedCountPath != nil {
		p.addf(where, "ToleratedFailureCount and ToleratedFailureCountPath are mutually exclusive")
	}
	st.dist = d
}

func (p *definitionParser) itemReader(v any, where string) *itemReader {
	obj, ok := v.(*object)
	if !ok {
		p.addf(where, "must be an object")
		return nil
	}
	p.onlyFields(obj, where, "Resource", "Parameters", "ReaderConfig")
	r := &itemReader{}
	r.resource, _ = p.requiredString(obj, "Resource", where)
	switch r.resource {
	case resourceS3GetObject, resourceS3ListObjectsV2, "":
	default:
		p.addf(where, "Resource %q is not supported: use %s or %s", r.resource, resourceS3GetObject, resourceS3ListObjectsV2)
	}
	r.parameters = p.template(obj, "Parameters", where)
	if r.parameters == nil {
		p.addf(where, "Parameters (Bucket and Key, or Bucket and Prefix) are required")
	}
	if cfgValue, ok := obj.get("ReaderConfig"); ok {
		cfg, ok := cfgValue.(*object)
		if !ok {
			p.addf(where, "ReaderConfig must be an object")
			return r
		}
		cw := joinWhere(where, "ReaderConfig")
		p.onlyFields(cfg, cw, "InputType", "CSVHeaderLocation", "CSVHeaders", "MaxItems", "MaxItemsPath")
		r.inputType, _ = p.optionalString(cfg, "InputType", cw)
		location, _ := p.optionalString(cfg, "CSVHeaderLocation", cw)
		r.csvFromFile = location == "FIRST_ROW"
		if location != "" && location != "FIRST_ROW" && location != "GIVEN" {
			p.addf(cw, "CSVHeaderLocation must be FIRST_ROW or GIVEN")
		}
		if hv, ok := cfg.get("CSVHeaders"); ok {
			list, _ := hv.([]any)
			for _, h := range list {
				if s, ok := h.(string); ok {
					r.csvHeaders = append(r.csvHeaders, s)
				}
			}
			if len(list) == 0 || len(r.csvHeaders) != len(list) {
				p.addf(cw, "CSVHeaders must be a non-empty array of strings")
			}
		}
		if location == "GIVEN" && len(r.csvHeaders) == 0 {
			p.addf(cw, "CSVHeaderLocation GIVEN needs CSVHeaders")
		}
		r.maxItems, _ = p.integerIn(cfg, "MaxItems", cw, 0, 100000000)
		r.maxItemsPath = p.referencePath(cfg, "MaxItemsPath", cw)
	}
	switch {
	case r.resource == resourceS3GetObject && r.inputType == "":
		p.addf(where, "ReaderConfig.InputType (JSON, JSONL or CSV) is required with %s", resourceS3GetObject)
	case r.resource == resourceS3GetObject && r.inputType != "JSON" && r.inputType != "JSONL" && r.inputType != "CSV":
		p.addf(where, "ReaderConfig.InputType must be JSON, JSONL or CSV")
	case r.inputType == "CSV" && !r.csvFromFile && len(r.csvHeaders) == 0:
		p.addf(where, "a CSV ItemReader needs CSVHeaderLocation FIRST_ROW, or GIVEN with CSVHeaders")
	}
	return r
}

func (p *definitionParser) itemBatcher(v any, where string) *itemBatcher {
	obj, ok := v.(*object)
	if !ok {
		p.addf(where, "must be an object")
		return nil
	}
	p.onlyFields(obj, where, "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput")
	b := &itemBatcher{}
	b.maxItems, _ = p.integer(obj, "MaxItemsPerBatch", where, 1)
	b.maxItemsPath = p.referencePath(obj, "MaxItemsPerBatchPath", where)
	b.maxBytes, _ = p.integerIn(obj, "MaxInputBytesPerBatch", where, 1, maxBatchBytes)
	b.maxBytesPath = p.referencePath(obj, "MaxInputBytesPerBatchPath", where)
	b.batchInput = p.template(obj, "BatchInput", where)
	if b.maxItems == 0 && b.maxItemsPath == nil && b.maxBytes == 0 && b.maxBytesPath == nil {
		p.addf(where, "needs MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path)")
	}
	return b
}

func (p *definitionParser) resultWriter(v any, where string) *resultWriter {
	obj, ok := v.(*object)
	if !ok {
		p.addf(where, "must be an object")
		return nil
	}
	p.onlyFields(obj, where, "Resource", "Parameters")
	if res, _ := p.requiredString(obj, "Resource", where); res != "" && res != resourceS3PutObject {
		p.addf(where, "Resource must be %s", resourceS3PutObject)
	}
	w := &resultWriter{parameters: p.template(obj, "Parameters", where)}
	if w.parameters == nil {
		p.addf(where, "Parameters (Bucket, Prefix) are required")
	}
	return w
}

// onlyFields reports the fields of obj that are not among the allowed ones.
func (p *definitionParser) onlyFields(obj *object, where string, allowed ...string) {
	list := "," + strings.Join(allowed, ",") + ","
	for key := range obj.all() {
		if !strings.Contains(list, ","+key+",") {
			p.addf(where, "unknown field %q", key)
		}
	}
}
