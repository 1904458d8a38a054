module ptpwatch/bench

go 1.26.8

require ptpwatch v0.0.0

require github.com/facebook/time v0.0.0-20260822211804-f81aedc1c1e3

replace ptpwatch => ../
