package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Definition is a state machine definition (or a Map's ItemProcessor) as
// JSON objects, for computing what its executions cost.
type Definition map[string]any

// LoadDefinition reads statemachines/<name> under the repository root.
func LoadDefinition(root, name string) (Definition, error) {
	raw, err := os.ReadFile(filepath.Join(root, "statemachines", name))
	if err != nil {
		return nil, err
	}
	var def Definition
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return def, nil
}

// Object is the JSON object under key (nil when absent).
func (d Definition) Object(key string) Definition {
	v, _ := d[key].(map[string]any)
	return v
}

// Str is the string under key.
func (d Definition) Str(key string) string {
	v, _ := d[key].(string)
	return v
}

// Number is the number under key.
func (d Definition) Number(key string) float64 {
	v, _ := d[key].(float64)
	return v
}

// State is the state named name.
func (d Definition) State(name string) (Definition, error) {
	st := d.Object("States").Object(name)
	if st == nil {
		return nil, fmt.Errorf("no state %s", name)
	}
	return st, nil
}

// Processor is a Map state's ItemProcessor.
func (d Definition) Processor() (Definition, error) {
	p := d.Object("ItemProcessor")
	if p == nil {
		return nil, fmt.Errorf("a Map state without ItemProcessor")
	}
	return p, nil
}

// Distributed says whether a Map state runs its items as child executions.
func (d Definition) Distributed() bool {
	return d.Object("ItemProcessor").Object("ProcessorConfig").Str("Mode") == "DISTRIBUTED"
}

// Walk says how an execution goes: how often each Choice takes its first
// branch before its Default (a loop), how many items each inline Map has,
// and how many retries each Task has.
type Walk struct {
	Loops          map[string]int
	Items          map[string]int
	RetriesPerTask int
}

// HistoryEvents counts the history events of one successful execution of a
// state machine (or of a Distributed Map's child, given the Map's
// processor) walked as w says, by the events each state type writes in Step
// Functions' history:
//
//	ExecutionStarted, ExecutionSucceeded                      2 per execution
//	Task: StateEntered, Scheduled, Started, Succeeded, Exited 5 (+3 per retry: Failed, Scheduled, Started)
//	Pass, Choice, Succeed, Wait: Entered, Exited              2
//	inline Map: Entered, Started, Succeeded, Exited           4 + per item IterationStarted, IterationSucceeded and the item's states
//	Distributed Map: Entered, Started, MapRunStarted,
//	  MapRunSucceeded, Succeeded, Exited                      6 (the items run in child executions)
//	Parallel: Entered, Started, Succeeded, Exited             4 + each branch's states
func HistoryEvents(machine Definition, w Walk) (int, error) {
	n, err := pathEvents(machine, w)
	return 2 + n, err
}

func pathEvents(machine Definition, w Walk) (int, error) {
	visits := map[string]int{}
	events := 0
	for name := machine.Str("StartAt"); name != ""; {
		st, err := machine.State(name)
		if err != nil {
			return 0, err
		}
		visits[name]++
		if visits[name] > 1_000_000 {
			return 0, fmt.Errorf("state %s visited a million times: a loop the walk does not end", name)
		}
		next := st.Str("Next")
		switch st.Str("Type") {
		case "Task":
			events += 5 + 3*w.RetriesPerTask
		case "Pass", "Succeed", "Wait":
			events += 2
		case "Fail":
			return 0, fmt.Errorf("the walk reached Fail state %s", name)
		case "Choice":
			events += 2
			choices, _ := st["Choices"].([]any)
			next = st.Str("Default")
			if len(choices) > 0 && visits[name] <= w.Loops[name] {
				next = Definition(choices[0].(map[string]any)).Str("Next")
			}
		case "Map":
			if st.Distributed() {
				events += 6
				break
			}
			p, err := st.Processor()
			if err != nil {
				return 0, err
			}
			inner, err := pathEvents(p, w)
			if err != nil {
				return 0, err
			}
			events += 4 + w.Items[name]*(2+inner)
		case "Parallel":
			events += 4
			branches, _ := st["Branches"].([]any)
			for _, b := range branches {
				n, err := pathEvents(Definition(b.(map[string]any)), w)
				if err != nil {
					return 0, err
				}
				events += n
			}
		default:
			return 0, fmt.Errorf("state %s has type %q", name, st.Str("Type"))
		}
		if st["End"] == true || st.Str("Type") == "Succeed" {
			break
		}
		name = next
	}
	return events, nil
}
