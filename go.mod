module ptpwatch

go 1.26.8
