#!/usr/bin/env bash
# The vpce-controller demo (`make demo`): a local control plane (bin/localcp),
# ec2sim with its demo VPC, and the manager, all on loopback, then the story of
# a private subnet reaching S3 and Systems Manager without a NAT gateway, the
# ConfigMap of connection details an application loads to use them, and the EC2
# Instance Connect Endpoint through which you reach its instances without a bastion.
#
#   hack/demo.sh        start everything and tell the story; leaves it running
#   hack/demo.sh down   stop what the demo started and remove .demo/ (`make demo-down`)
#
# State, logs and PIDs live in .demo/ (git-ignored).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state="$root/.demo"
region=us-east-1
sync_period=10s

if [ -t 1 ]; then bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'; else bold='' dim='' reset=''; fi
heading() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$reset"; }
say() { printf '%s\n' "$*"; }
# show prints a command as the user would type it, then runs it.
show() { printf '%s$ %s%s\n' "$dim" "$*" "$reset"; "$@"; }

# alive reports whether a PID runs (a zombie does not count).
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }

# stop_pid stops one process the demo started: SIGTERM, then after 20 s SIGKILL
# for it and its children (localcp's kube-apiserver and etcd).
stop_pid() {
  local name=$1 pid=$2 kids i
  alive "$pid" || return 0
  # A PID from an old .demo/pids may belong to something else by now.
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "bin/$name" || return 0
  kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do alive "$pid" || break; sleep 0.2; done
  if alive "$pid"; then
    # shellcheck disable=SC2086 # kids is a list of PIDs
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  say "stopped $name (pid $pid)"
}

down() {
  if [ -f "$state/pids" ]; then
    # Reverse start order: the manager first, the control plane last.
    tac "$state/pids" | while read -r name pid; do stop_pid "$name" "$pid"; done
  fi
  rm -rf "$state"
}

if [ "${1:-}" = down ]; then
  down
  say "demo stopped; .demo removed"
  exit 0
fi

# die prints a message and the tail of a log, and leaves everything running for a look.
die() {
  say "demo failed: $1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then say "--- last lines of $2:" >&2; tail -n 30 "$2" >&2; fi
  say "Everything started is still running; \`make demo-down\` stops it." >&2
  exit 1
}

# start runs a binary of bin/ in its own session, logging to .demo/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" > "$state/$name.log" 2>&1 < /dev/null &
  echo "$name $!" >> "$state/pids"
}

# wait_log waits until a log holds a pattern COUNT times, or the process dies.
wait_log() {
  local name=$1 pattern=$2 count=${3:-1} pid i
  pid=$(awk -v n="$name" '$1 == n { print $2 }' "$state/pids")
  for i in $(seq 1 600); do
    [ "$(grep -c -- "$pattern" "$state/$name.log" || true)" -ge "$count" ] && return 0
    alive "$pid" || die "$name exited" "$state/$name.log"
    sleep 0.1
  done
  die "$name did not start in 60 s" "$state/$name.log"
}

# free_port prints a loopback port nobody listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (: < "/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

started=$SECONDS
if [ -f "$state/pids" ]; then
  say "A previous demo is running; stopping it first."
  down
fi
for b in manager:. ec2sim:./test/cmd/ec2sim localcp:./test/cmd/localcp; do
  [ -x "bin/${b%%:*}" ] || { say "building bin/${b%%:*}"; go build -o "bin/${b%%:*}" "${b#*:}"; }
done
[ -x bin/k8s/kube-apiserver ] || hack/build-control-plane.sh
mkdir -p "$state"

heading "Starting a local control plane, ec2sim and the manager"
start localcp bin/localcp --kubeconfig "$state/kubeconfig" --state-dir "$state/localcp"
start ec2sim bin/ec2sim --addr 127.0.0.1:0 --region "$region" --fixture --state-delay 3s
wait_log ec2sim "listening on"
ec2_url=$(sed -n 's/^ec2sim listening on //p' "$state/ec2sim.log")
wait_log localcp "localcp ready"
metrics_port=$(free_port)
health_port=$(free_port)
start manager env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_EC2 \
  KUBECONFIG="$state/kubeconfig" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \
  AWS_REGION="$region" AWS_EC2_METADATA_DISABLED=true \
  bin/manager --region "$region" --cluster-name demo --aws-endpoint-url "$ec2_url" \
  --sync-period "$sync_period" --metrics-bind-address "127.0.0.1:$metrics_port" --metrics-secure=false \
  --health-probe-bind-address "127.0.0.1:$health_port"
wait_log manager '"Starting workers"' 2

export KUBECONFIG="$state/kubeconfig"
export AWS_ENDPOINT_URL="$ec2_url" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION="$region"
unset AWS_PROFILE AWS_ENDPOINT_URL_EC2
cat > "$state/env" <<EOF
export KUBECONFIG=$KUBECONFIG
export AWS_ENDPOINT_URL=$ec2_url AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=$region
EOF
say "kube-apiserver + etcd (bin/localcp), CRDs installed:  KUBECONFIG=$KUBECONFIG"
say "ec2sim, an EC2 API emulator:                          $ec2_url"
say "vpce-controller manager (bin/manager):                 --sync-period $sync_period, metrics http://127.0.0.1:$metrics_port/metrics"
say "Logs and PIDs: .demo/*.log, .demo/pids. The aws commands below reach ec2sim through AWS_ENDPOINT_URL."

# ---------------------------------------------------------------------------
heading "1. A VPC whose private subnets cannot reach AWS services"
read -r vpc cidr < <(aws ec2 describe-vpcs --filters Name=tag:Name,Values=ec2sim-fixture \
  --query 'Vpcs[0].[VpcId,CidrBlock]' --output text)
dns_support=$(aws ec2 describe-vpc-attribute --vpc-id "$vpc" --attribute enableDnsSupport --query EnableDnsSupport.Value --output text)
dns_hostnames=$(aws ec2 describe-vpc-attribute --vpc-id "$vpc" --attribute enableDnsHostnames --query EnableDnsHostnames.Value --output text)
say "VPC $vpc ($cidr, Name=ec2sim-fixture): enableDnsSupport=$dns_support, enableDnsHostnames=$dns_hostnames."
say "Both DNS attributes are on, which private DNS for interface endpoints needs."
declare -A rt_of rt_routes rt_name
while read -r rtb name nroutes subnets; do
  rt_name[$rtb]=$name rt_routes[$rtb]=$nroutes
  for s in $subnets; do rt_of[$s]=$rtb; done
done < <(aws ec2 describe-route-tables --filters Name=vpc-id,Values="$vpc" --output text \
  --query "RouteTables[].[RouteTableId, Tags[?Key=='Name']|[0].Value, length(Routes), join(' ', Associations[?SubnetId].SubnetId)]")
say "Subnets:"
while read -r tier az subnet sncidr; do
  rtb=${rt_of[$subnet]:-}
  printf '  %-8s %-11s %-26s %-14s route table %s (%s route%s)\n' "$tier" "$az" "$subnet" "$sncidr" \
    "$rtb" "${rt_routes[$rtb]:-?}" "$([ "${rt_routes[$rtb]:-0}" = 1 ] && echo ", local only" || echo s)"
done < <(aws ec2 describe-subnets --filters Name=vpc-id,Values="$vpc" --output text \
  --query "Subnets[].[Tags[?Key=='tier']|[0].Value, AvailabilityZone, SubnetId, CidrBlock]" | sort)
say "The private route tables hold only the local route: no NAT gateway, no internet gateway."
say "An instance there cannot reach S3, nor Systems Manager (so no Session Manager shell), and you"
say "cannot reach it either: no public IP, no bastion host."

# ---------------------------------------------------------------------------
heading "2. Declaring the endpoints"
cat > "$state/endpoints.yaml" <<'EOF'
# S3 through a gateway endpoint: a route to S3's prefix list in each private route table (free).
apiVersion: networking.vpce.dev/v1alpha1
kind: GatewayEndpoint
metadata:
  name: s3
spec:
  service: s3
  vpc:
    tags: {Name: ec2sim-fixture}
  routeTables:
    tags: {tier: private}
  connectionDetails:
    configMapName: s3-gateway      # endpoint ID, prefix list, route tables for applications
---
# What Session Manager needs: ssm, ssmmessages and ec2messages interface endpoints,
# one network interface in each private subnet (one per AZ), a managed security
# group admitting HTTPS from the VPC, private DNS on.
apiVersion: networking.vpce.dev/v1alpha1
kind: InterfaceEndpoint
metadata:
  name: ssm
spec:
  service: ssm
  vpc:
    tags: {Name: ec2sim-fixture}
  subnets:
    tags: {tier: private}
---
apiVersion: networking.vpce.dev/v1alpha1
kind: InterfaceEndpoint
metadata:
  name: ssmmessages
spec:
  service: ssmmessages
  vpc:
    tags: {Name: ec2sim-fixture}
  subnets:
    tags: {tier: private}
---
apiVersion: networking.vpce.dev/v1alpha1
kind: InterfaceEndpoint
metadata:
  name: ec2messages
spec:
  service: ec2messages
  vpc:
    tags: {Name: ec2sim-fixture}
  subnets:
    tags: {tier: private}
---
# S3 through an interface endpoint too, for clients that cannot use the route
# (on-premises over VPN, peered VPCs), with private DNS for all resolvers.
apiVersion: networking.vpce.dev/v1alpha1
kind: InterfaceEndpoint
metadata:
  name: s3
spec:
  service: s3
  vpc:
    tags: {Name: ec2sim-fixture}
  subnets:
    tags: {tier: private}
  privateDNS:
    enabled: true
    onlyForInboundResolverEndpoint: false
  # What an application needs to use this endpoint, in a ConfigMap it can load with envFrom.
  connectionDetails:
    configMapName: s3-endpoint
---
# An EC2 Instance Connect Endpoint in a private subnet: `aws ec2-instance-connect ssh
# --connection-type eice` tunnels through it to the instances' private addresses. Its
# managed security group allows egress TCP 22 to the VPC, and no ingress.
apiVersion: networking.vpce.dev/v1alpha1
kind: InstanceConnectEndpoint
metadata:
  name: bastion
spec:
  vpc:
    tags: {Name: ec2sim-fixture}
  subnet:
    tags: {tier: private}
    preferredZone: us-east-1a
EOF
say "Six objects in .demo/endpoints.yaml. The S3 gateway endpoint, the S3 interface endpoint and the"
say "Instance Connect Endpoint:"
sed -n '1,13p' "$state/endpoints.yaml" | sed 's/^/    /'
sed -n '/^# S3 through an interface/,$p' "$state/endpoints.yaml" | sed 's/^/    /'
say "ssm, ssmmessages and ec2messages are the same without privateDNS (private DNS is on by default)"
say "and without connectionDetails."
say "S3 may have both kinds in one VPC. With onlyForInboundResolverEndpoint: false, names under"
say "*.s3.$region.amazonaws.com resolve to the interface endpoint inside the VPC as well; 'true' would"
say "keep VPC traffic on the free gateway and answer the name only for a Route 53 inbound resolver"
say "(AWS allows 'true' only when the VPC has an S3 gateway endpoint, as it has here)."
show kubectl apply -f .demo/endpoints.yaml

# ---------------------------------------------------------------------------
heading "3. Watching them converge"
say "Interface endpoints stay 'pending' (the Instance Connect Endpoint 'create-in-progress') while AWS"
say "provisions them (3 s in ec2sim; minutes in AWS)."
columns='KIND:.kind,NAME:.metadata.name,ENDPOINT:.status.endpointID,STATE:.status.state,READY:.status.conditions[?(@.type=="Ready")].status,REASON:.status.conditions[?(@.type=="Ready")].reason'
# progress prints the objects' progress (a table when $1 is "table", else one
# line) and succeeds once all are Ready.
progress() {
  local table
  table=$(kubectl get gwe,ife,eice -o custom-columns="$columns" 2>/dev/null) || return 1
  if [ "$1" = table ]; then
    printf '%s\n' "$table"
  else
    awk 'NR > 1 { k = ($1 == "GatewayEndpoint") ? "gwe" : ($1 == "InterfaceEndpoint") ? "ife" : "eice"; r = ($5 == "True") ? "Ready" : ($4 == "<none>" ? "-" : $4)
                  line = line (line == "" ? "" : ", ") k "/" $2 " " r }
         END { print line }' <<< "$table"
  fi
  ! awk 'NR > 1 && $5 != "True" { busy = 1 } END { exit !(busy || NR < 2) }' <<< "$table"
}
t0=$SECONDS
drawn=0
while :; do
  if [ -t 1 ]; then mode=table; else mode=line; fi
  out=$(progress "$mode") && ready=1 || ready=0
  if [ -t 1 ]; then
    [ "$drawn" -gt 0 ] && printf '\e[%dA' "$drawn"
    printf '%s\e[K\n' "$(date +%T) ($((SECONDS - t0)) s)"
    while IFS= read -r l; do printf '  %s\e[K\n' "$l"; done <<< "$out"
    drawn=$(( $(wc -l <<< "$out") + 1 ))
  else
    printf '  %3ss  %s\n' "$((SECONDS - t0))" "$out"
  fi
  [ "$ready" = 1 ] && break
  [ $((SECONDS - t0)) -lt 90 ] || die "the endpoints were not Ready within 90 s" "$state/manager.log"
  sleep 1
done
say "All six Ready after $((SECONDS - t0)) s."

# ---------------------------------------------------------------------------
heading "4. What kubectl shows"
show kubectl get gwe,ife,eice -o wide

# ---------------------------------------------------------------------------
heading "5. The AWS side, in plain words"
gw=$(kubectl get gwe s3 -o jsonpath='{.status.endpointID}')
pl=$(kubectl get gwe s3 -o jsonpath='{.status.prefixListID}')
say "Gateway endpoint $gw (com.amazonaws.$region.s3): routes to S3's prefix list $pl"
while read -r rtb name target; do
  if [ "$target" = None ]; then
    say "  $rtb ($name): no S3 route: not tagged tier=private, so not selected"
  else
    say "  $rtb ($name): $pl -> $target"
  fi
done < <(aws ec2 describe-route-tables --filters Name=vpc-id,Values="$vpc" --output text \
  --query "RouteTables[].[RouteTableId, Tags[?Key=='Name']|[0].Value || 'main', Routes[?DestinationPrefixListId=='$pl'].GatewayId|[0]]" | sort -k2)

declare -A eni_line sg_rules
while read -r eni az ip subnet; do eni_line[$eni]="$az $ip ($eni)"; done < <(
  aws ec2 describe-network-interfaces --filters Name=vpc-id,Values="$vpc" Name=interface-type,Values=vpc_endpoint \
    --query 'NetworkInterfaces[].[NetworkInterfaceId, AvailabilityZone, PrivateIpAddress, SubnetId]' --output text)
while read -r sg rules; do sg_rules[$sg]=$rules; done < <(
  aws ec2 describe-security-groups --filters Name=vpc-id,Values="$vpc" --output text \
    --query "SecurityGroups[].[GroupId, join(', ', IpPermissions[].join('', [IpProtocol, ' ', to_string(FromPort), ' from ', join(' ', IpRanges[].CidrIp)]))]")
say ""
say "Interface endpoints (one network interface per private subnet, reached on these IPs):"
s3_regional=
while read -r id svc groups enis names; do
  short=${svc#com.amazonaws.$region.}
  say "  $short: $id"
  line=$(for e in $(tr ',' ' ' <<< "$enis"); do echo "${eni_line[$e]:-$e}"; done | sort | paste -sd, - | sed 's/,/, /g')
  say "    network interfaces: $line"
  for g in $(tr ',' ' ' <<< "$groups"); do
    say "    managed security group $g admits ${sg_rules[$g]:-nothing} (and nothing else)"
  done
  regional= private=
  read -r -a dns_names <<< "$names" # not a for loop over $names: *.s3.… would glob
  for n in "${dns_names[@]}"; do
    case $n in
      vpce-*-"$region"[a-z].* | \*.vpce-*-"$region"[a-z].*) ;; # zonal names, one per AZ
      vpce-* | \*.vpce-*) regional=$n ;;
      *) private=$n ;;
    esac
  done
  dns="$regional (regional)"
  if [ -n "$private" ]; then dns+=", $private (private DNS: the public name, answered inside the VPC)"; fi
  say "    DNS: $dns"
  if [ "$short" = s3 ]; then s3_regional=$regional; fi
done < <(aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values="$vpc" Name=vpc-endpoint-type,Values=Interface \
  --output text --query "VpcEndpoints[].[VpcEndpointId, ServiceName, join(',', Groups[].GroupId), join(',', NetworkInterfaceIds), join(' ', DnsEntries[].DnsName)]" | sort -k2)
say ""
say "On an instance in a private subnet, without any NAT:"
say "  aws ssm start-session works: ssm, ssmmessages and ec2messages resolve to the IPs above."
say "  aws s3 ls s3://my-bucket works: S3's names resolve (private DNS) to the s3 interface endpoint's"
say "  IPs above, and traffic to S3's public addresses takes the gateway route."
say "  Clients that cannot use private DNS (on premises, a peered VPC) name the interface endpoint"
say "  explicitly: its URL is in the ConfigMap of section 6."

# ---------------------------------------------------------------------------
heading "6. What an application mounts: the connection details"
say "The s3 interface endpoint has spec.connectionDetails.configMapName: s3-endpoint. Once the endpoint"
say "was available, the controller wrote a ConfigMap, owned by the object, with everything an application"
say "needs to reach it (keys are environment variable names; docs/operations.md lists them):"
show kubectl wait --for=condition=ConnectionDetailsReady ife/s3 --timeout=30s
show kubectl get configmap s3-endpoint -o yaml
bucket_url=$(kubectl get configmap s3-endpoint -o jsonpath='{.data.AWS_ENDPOINT_URL_S3}')
[ "$bucket_url" = "https://bucket.${s3_regional#\*.}" ] ||
  die "AWS_ENDPOINT_URL_S3 is '$bucket_url', not the bucket form of the regional name $s3_regional" "$state/manager.log"
say ""
say "A Deployment loads it whole; the AWS CLI and SDKs read AWS_ENDPOINT_URL_S3 and send S3 calls to the"
say "interface endpoint, without code changes:"
sed 's/^/    /' <<'YAML'
containers:
  - name: app
    image: public.ecr.aws/aws-cli/aws-cli
    args: [s3, ls, s3://my-bucket]
    envFrom:
      - configMapRef: {name: s3-endpoint}
YAML
say "The same call by hand, naming the interface endpoint explicitly (the bucket URL, as AWS documents it):"
say "    aws s3 ls s3://my-bucket --region $region --endpoint-url $bucket_url"
say "It is not run here, and nothing here could answer it: ec2sim emulates the EC2 API only, so this"
say "endpoint exists nowhere but in ec2sim. For a real endpoint, AWS's DNS answers that name with the"
say "endpoint's private addresses (the VPCE_IPV4_* keys), which clients reach from the VPC, a peered VPC"
say "or over VPN and Direct Connect, and S3 answers behind them."
say ""
say "The gateway endpoint publishes its ID, prefix list and route tables (no DNS names: clients keep the"
say "public S3 names, and the route does the rest):"
show kubectl get configmap s3-gateway -o go-template='{{range $k, $v := .data}}  {{$k}}={{$v}}{{"\n"}}{{end}}'
say "The controller keeps both current (a subnet added gives a new zonal name and address), puts back"
say "hand edits (event DriftCorrected), never writes over a ConfigMap it does not own (condition"
say "ConnectionDetailsReady=False, reason ConfigMapNotOwned) and deletes them with their objects."

# ---------------------------------------------------------------------------
heading "7. Reaching the private instances: the Instance Connect Endpoint"
read -r eice_id eice_state eice_dns eice_subnet eice_az eice_sg < <(kubectl get eice bastion -o jsonpath='{.status.endpointID} {.status.state} {.status.dnsName} {.status.subnetID} {.status.availabilityZone} {.status.managedSecurityGroupID}{"\n"}')
[ "$eice_state" = create-complete ] && [ -n "$eice_dns" ] ||
  die "the Instance Connect Endpoint is '$eice_state' with DNS name '$eice_dns'" "$state/manager.log"
say "Instance Connect Endpoint $eice_id is $eice_state in private subnet $eice_subnet ($eice_az)."
say "  DNS name: $eice_dns"
say "  FIPS DNS name: $(kubectl get eice bastion -o jsonpath='{.status.fipsDNSName}')"
read -r egress ingress < <(aws ec2 describe-security-groups --group-ids "$eice_sg" --output text \
  --query "SecurityGroups[0].[join(',', IpPermissionsEgress[].join('', [IpProtocol, '/', to_string(FromPort), '->', join('+', IpRanges[].CidrIp)])), length(IpPermissions)]")
say "  managed security group $eice_sg: egress $egress, $ingress ingress rules (AWS's allow-all egress rule revoked)"
say "Instances in the private subnets need a security group that admits TCP 22 from $eice_sg."
say "ec2sim has no instances, so nothing here can be reached; with a real endpoint, this is the command"
say "you would run for an instance of a private subnet (i-0123456789abcdef0 stands for its ID):"
say ""
say "    aws ec2-instance-connect ssh --region $region --connection-type eice --instance-id i-0123456789abcdef0 --os-user ec2-user"
say ""
say "The CLI finds the VPC's Instance Connect Endpoint ($eice_id, one per VPC) and tunnels SSH to the"
say "instance's private address through it. To name the endpoint, or to tunnel another port (RDP 3389"
say "once spec.securityGroups.managed.ports lists it):"
say "    aws ec2-instance-connect open-tunnel --region $region --instance-connect-endpoint-id $eice_id --instance-id i-0123456789abcdef0 --remote-port 22 --local-port 2222"
say "The caller needs ec2-instance-connect:OpenTunnel on $(kubectl get eice bastion -o jsonpath='{.status.endpointARN}')."

# ---------------------------------------------------------------------------
heading "8. Drift: a route table removed behind the controller's back"
drift_rt=$(kubectl get gwe s3 -o jsonpath='{.status.routeTableIDs[0]}')
show aws ec2 modify-vpc-endpoint --vpc-endpoint-id "$gw" --remove-route-table-ids "$drift_rt" --output text
routes=$(aws ec2 describe-route-tables --route-table-ids "$drift_rt" --output text \
  --query "length(RouteTables[0].Routes[?DestinationPrefixListId=='$pl'])")
say "$drift_rt now has $routes S3 route(s): that subnet's S3 traffic has no path."
say "The controller compares AWS with the spec every $sync_period (--sync-period) and repairs the difference..."
t0=$SECONDS
until [ -n "$(kubectl get events --field-selector reason=DriftCorrected -o name 2>/dev/null)" ]; do
  [ $((SECONDS - t0)) -lt 60 ] || die "no DriftCorrected event within 60 s" "$state/manager.log"
  sleep 1
done
say "...repaired after $((SECONDS - t0)) s:"
show kubectl get events --field-selector reason=DriftCorrected
routes=$(aws ec2 describe-route-tables --route-table-ids "$drift_rt" --output text \
  --query "RouteTables[0].Routes[?DestinationPrefixListId=='$pl'].[DestinationPrefixListId, GatewayId]")
say "$drift_rt again routes $(tr '\t' ' ' <<< "$routes" | sed 's/ / -> /')."

# ---------------------------------------------------------------------------
heading "9. Deleting an endpoint leaves AWS clean"
read -r del_id del_sg del_enis < <(kubectl get ife ec2messages \
  -o jsonpath='{.status.endpointID} {.status.managedSecurityGroupID} {.status.networkInterfaces[*].id}{"\n"}')
say "ec2messages is $del_id with security group $del_sg and network interfaces $del_enis."
t0=$SECONDS
show kubectl delete ife ec2messages
say "The object was gone after $((SECONDS - t0)) s: its finalizer held it until AWS had deleted the endpoint and its security group."
left=$(aws ec2 describe-vpc-endpoints --filters Name=vpc-endpoint-id,Values="$del_id" --query 'VpcEndpoints[].State' --output text)
say "  endpoint $del_id: ${left:-gone}${left:+ (AWS lists a deleted endpoint for a short while)}"
# shellcheck disable=SC2086 # del_enis is a list
left=$(aws ec2 describe-network-interfaces --filters Name=network-interface-id,Values="$(tr ' ' ',' <<< "$del_enis")" \
  --query 'NetworkInterfaces[].NetworkInterfaceId' --output text)
say "  network interfaces $del_enis: ${left:-gone}"
left=$(aws ec2 describe-security-groups --filters Name=group-id,Values="$del_sg" --query 'SecurityGroups[].GroupId' --output text)
say "  security group $del_sg: ${left:-gone}"
show kubectl get gwe,ife,eice

# ---------------------------------------------------------------------------
heading "Explore"
say "Everything keeps running (demo took $((SECONDS - started)) s). In another shell:"
say "  source .demo/env        # or:"
sed 's/^/  /' "$state/env"
say "  kubectl get gwe,ife,eice -o wide; kubectl describe ife ssm; kubectl describe eice bastion; kubectl get events"
say "  kubectl get configmap s3-endpoint -o yaml"
say "  aws ec2 describe-vpc-endpoints; aws ec2 describe-instance-connect-endpoints"
say "Logs: .demo/manager.log, .demo/ec2sim.log, .demo/localcp.log. Stop it all with: make demo-down"
