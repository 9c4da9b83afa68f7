#!/bin/bash
# setup.sh BIN DIR [DBURL]
set -e
BIN=$1; D=$2; mkdir -p $D
if [ -n "$3" ]; then export DATABASE_URL=$3; else unset DATABASE_URL; fi
P="$BIN --data-dir $D"
$P company create --name Operator --kind operator >/dev/null
$P company create --name Partner --kind partner >/dev/null
echo 'Secret-pass-123!' | $P user create --company Operator --email ada@op.example --name Ada --role admin --password-stdin >/dev/null
echo 'Secret-pass-123!' | $P user create --company Partner --email pia@partner.example --name Pia --role member --password-stdin >/dev/null
$P api-key create --user ada@op.example | tail -1 > $D/admin.key
$P api-key create --user pia@partner.example | tail -1 > $D/pia.key
