package kernel

// The assembly kernels are generated with avo by the asmgen module
// (internal/kernel/asmgen, a module of its own so that this one keeps no
// dependencies). CI regenerates them and fails on any difference.

//go:generate env GOWORK=off go run -C asmgen . -file cpu -pkg kernel -out ../cpu_amd64.s -stubs ../cpu_stub_amd64.go
//go:generate env GOWORK=off go run -C asmgen . -file gemm -pkg kernel -out ../gemm_amd64.s -stubs ../gemm_stub_amd64.go
//go:generate env GOWORK=off go run -C asmgen . -file binary -pkg kernel -out ../binary_amd64.s -stubs ../binary_stub_amd64.go
//go:generate env GOWORK=off go run -C asmgen . -file softmax -pkg kernel -out ../softmax_amd64.s -stubs ../softmax_stub_amd64.go
//go:generate env GOWORK=off go run -C asmgen . -file nn -pkg kernel -out ../nnkern_amd64.s -stubs ../nnkern_stub_amd64.go
//go:generate env GOWORK=off go run -C asmgen . -file lovasz -pkg kernel -out ../lovasz_amd64.s -stubs ../lovasz_stub_amd64.go
