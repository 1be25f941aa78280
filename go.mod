module github.com/gocnn/gocnn

go 1.26
