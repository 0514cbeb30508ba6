package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	cfnddb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"

	"productgov"
)

// TableResource is the logical id of the table in template.yaml.
const TableResource = "Table"

// TableDefinition reads the table's definition from template.yaml.
func TableDefinition() (*cfnddb.Table, error) {
	tmpl, err := ParseTemplate(productgov.Template)
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: parse template.yaml: %w", err)
	}
	t, err := tmpl.GetDynamoDBTableWithName(TableResource)
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: template.yaml: %w", err)
	}
	return t, nil
}

// CreateTableInput turns the template's table definition into a CreateTable call.
// PITR, SSE and billing are AWS-side settings DynamoDB Local ignores; TTL is applied.
func CreateTableInput(def *cfnddb.Table, name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, a := range def.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	in.KeySchema = keySchema(def.KeySchema)
	for _, g := range def.GlobalSecondaryIndexes {
		proj := ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}
		if g.Projection.ProjectionType != nil {
			proj.ProjectionType = ddbtypes.ProjectionType(*g.Projection.ProjectionType)
		}
		proj.NonKeyAttributes = g.Projection.NonKeyAttributes
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keySchema(g.KeySchema), Projection: &proj,
		})
	}
	return in
}

func keySchema(ks []cfnddb.Table_KeySchema) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)})
	}
	return out
}

// EnsureTable creates the table named name from template.yaml unless it exists.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name string) error {
	def, err := TableDefinition()
	if err != nil {
		return err
	}
	_, err = client.CreateTable(ctx, CreateTableInput(def, name))
	var inUse *ddbtypes.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamolocal: create table %s: %w", name, err)
	}
	if def.TimeToLiveSpecification != nil && def.TimeToLiveSpecification.AttributeName != nil {
		_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
				AttributeName: def.TimeToLiveSpecification.AttributeName, Enabled: aws.Bool(def.TimeToLiveSpecification.Enabled),
			},
		})
		if err != nil {
			return fmt.Errorf("dynamolocal: ttl on %s: %w", name, err)
		}
	}
	return nil
}

// goformationGaps are SAM properties goformation v7.14.9 does not know by
// their SAM name (it spells HttpApi's AccessLogSettings AccessLogSetting).
var goformationGaps = regexp.MustCompile(`(?m)^(      AccessLogSettings:\n(?:        .*\n)+)`)

// ParseTemplate parses a SAM template with goformation, leaving out the
// properties goformation does not know (goformationGaps).
func ParseTemplate(text []byte) (*cloudformation.Template, error) {
	return goformation.ParseYAML(goformationGaps.ReplaceAll(text, nil))
}
