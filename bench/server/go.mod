module kubexec.local/bench/server

go 1.26.0
