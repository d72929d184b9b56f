# Sourced by run.sh and test.sh: no build servers or reused MSBuild nodes outliving the command (they
# would hold its output pipe open), no telemetry, no online certificate revocation checks (no network).
export DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=true
export DOTNET_GENERATE_ASPNET_CERTIFICATE=false NUGET_CERT_REVOCATION_MODE=offline
