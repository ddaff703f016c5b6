/* SPDX-License-Identifier: MIT */
/*
 * html_page.S - the HTML report's template, joined from its source files in
 * page order and embedded read-only: the assembler's .incbin needs no tool
 * beyond gcc and binutils, and etltrace stays one binary. html.c fills in
 * the placeholders. The Makefile passes this directory's html/ as the
 * assembler's include path and lists the same files as prerequisites.
 */
	.section .rodata
	.global etltrace_html_page
	.global etltrace_html_page_end
	.type etltrace_html_page, @object
etltrace_html_page:
	.incbin "page-head.html"
	.incbin "report.css"
	.incbin "page-body.html"
	.incbin "util.js"
	.incbin "summary.js"
	.incbin "table.js"
	.incbin "charts.js"
	.incbin "tree.js"
	.incbin "timeline.js"
	.incbin "compare.js"
	.incbin "main.js"
	.incbin "page-end.html"
etltrace_html_page_end:
	.size etltrace_html_page, etltrace_html_page_end - etltrace_html_page

	.section .note.GNU-stack, "", @progbits
