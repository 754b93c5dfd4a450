# Build a static binary, then ship it alone.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/rlhf-eval ./cmd/rlhf-eval

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rlhf-eval /rlhf-eval
ENV RLHF_API_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["/rlhf-eval"]
CMD ["serve"]
