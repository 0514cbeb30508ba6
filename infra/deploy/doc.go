// Package deploy holds the checks on what is deployed to AWS: its tests read
// template.yaml and hold it to the repository (every function folder, every
// state machine file and every ${…} substitution match) and to the rules of
// the design (arm64 provided.al2023 bootstraps, one least-privilege policy and
// one log group per function, the table's settings, the JWT authorizer, and
// Asia/Shanghai schedules).
package deploy
