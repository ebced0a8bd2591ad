"""The Parquet tables and the columns of ``cells``, ``findings`` and ``documents``, with their docs.

Imported by ``build_schema.py``, which writes them into the schema file under ``x-tables`` (the
``reports`` columns are generated there from the record). Each column: (name, Arrow type,
Chinese label, description, unit).
"""

from __future__ import annotations

# Arrow types as written in the schema file; collector.schema maps them to pyarrow types.
STRING, INT64, INT32, FLOAT64, BOOL = "string", "int64", "int32", "float64", "bool"
DATE, TIMESTAMP, LIST = "date32", "timestamp[us, tz=UTC]", "list<string>"

# The reports table's columns that are not a record field one to one: the findings counts.
VALIDATION_COLUMNS = [
    ("validation__errors", INT32, "错误数", "validation findings of severity error (hard rules); the findings "
                                          "themselves are rows of the findings table", "条"),
    ("validation__warnings", INT32, "警告数", "validation findings of severity warning (soft rules)", "条"),
]
_REPORT_YEAR = ("report_year", INT64, "报告年度", "year the report covers; the hive partition "
                                                 "(report_year=YYYY/ directories)", "")
CELLS = [
    ("report_id", STRING, "报告标识", "report the value belongs to (reports.report_id)", ""),
    _REPORT_YEAR,
    ("field", STRING, "字段", "dotted field path, e.g. s3.new_received.total (see the reports columns)", ""),
    ("column_name", STRING, "列名", "the reports column holding the same value, e.g. s3__new_received__total", ""),
    ("value", FLOAT64, "数值", "the number as read, or as derived when derived is true; unit in the unit column", ""),
    ("value_raw", STRING, "原文", "the cell's text exactly as printed; null for derived values", ""),
    ("unit", STRING, "单位", "unit of value: 件 (count), 万元 / 元 (money), 项 (items)", ""),
    ("derived", BOOL, "是否派生", "true when computed rather than read: a blank 总计 summed from its row, gb2021 "
                                "其他处理 summed from its three sub-rows", ""),
    ("location", STRING, "位置", "where in the document the value was read: table / paragraph / line / sheet, row "
                               "and column (or 'derived: …' with how it was computed)", ""),
    ("format_version", STRING, "格式版本", "template era of the report (gb2021 / gb2019 / legacy)", ""),
    ("document_sha256", STRING, "文档哈希", "sha256 of the document the value was read from (raw/ab/cd/<sha256>)", ""),
]
FINDINGS = [
    ("report_id", STRING, "报告标识", "report the finding is about (reports.report_id)", ""),
    _REPORT_YEAR,
    ("rule", INT32, "规则编号", "validation rule number (report-template.md; names in this README's rules table "
                             "and `xxgk schema`)", ""),
    ("severity", STRING, "严重程度", "error (hard rule: the report or its extraction is wrong), warning (soft "
                                  "rule: a deviation), info (explains a derived value)", ""),
    ("message", STRING, "说明", "what was found, with the numbers involved", ""),
    ("fields", LIST, "涉及字段", "dotted paths of the fields involved", ""),
    ("scope", STRING, "范围", "record: checked on the report alone; dataset: cross-year or near-duplicate "
                            "checks by `xxgk check`", ""),
    ("agency_name", STRING, "机关名称", "publishing body of the report (copied for convenience)", ""),
]
DOCUMENTS = [
    ("source_url", STRING, "来源", "URL or path of the document", ""),
    ("document_sha256", STRING, "文档哈希", "sha256 of the bytes (raw/ab/cd/<sha256>); empty when none were read", ""),
    ("media_type", STRING, "文档格式", "format detected by content (html, pdf, docx, doc, wps, xls, xlsx, et, image, "
                                   "text)", ""),
    ("size", INT64, "大小", "size of the document", "bytes"),
    ("status", STRING, "状态", "parsed (a record was made), not_a_report, failed (see error_code, error), or how "
                             "the fetch ended", ""),
    ("error_code", STRING, "错误代码", "machine-readable reason of a failure (e.g. unsupported_format, blocked)", ""),
    ("error", STRING, "错误", "the failure in words", ""),
    ("extractor", STRING, "提取器", "extractor that read the bytes", ""),
    ("report_id", STRING, "报告标识", "record made from the document, if any (reports.report_id)", ""),
    ("report_year", INT64, "报告年度", "report year of that record", ""),
    ("portal_id", STRING, "门户", "portal the document was crawled from", ""),
    ("parent_url", STRING, "上级页面", "report page an attachment hangs under (null for pages)", ""),
    ("raw_path", STRING, "原始文件", "path of the raw bytes relative to the dataset root", ""),
    ("http_status", INT64, "HTTP状态", "HTTP status of the fetch", ""),
    ("encoding", STRING, "编码", "character encoding used for a text document", ""),
    ("parser_version", STRING, "解析器版本", "parser version that processed the document", ""),
    ("processed_at", TIMESTAMP, "处理时间", "when the document was processed (UTC)", ""),
]
# Every table's last column: the run that wrote the row (a Prefect flow-run id, or the id of a
# library / CLI run), so an analyst can trace any row to the run and its logs (schema 2.1.0).
RUN_ID = ("run_id", STRING, "运行标识", "the run that wrote this row: the Prefect flow-run id of a collect / "
                                      "backfill / reparse run, else the id the library or CLI gave its run (uuid); "
                                      "null for rows written before schema 2.1.0", "")
TABLES = {
    "reports": {"description": "one row per report: metadata, every number of 二/三/四 (s2__/s3__/s4__), derived "
                               "figures (derived__), narrative text, provenance",
                "key": ["report_id"], "partition": "report_year"},
    "cells": {"description": "long form, one row per number read or derived: value, raw text, unit and where in "
                             "the document it was read",
              "key": ["report_id"], "partition": "report_year"},
    "findings": {"description": "validation findings, one row each: rule, severity, message, fields",
                 "key": ["report_id", "scope"], "partition": "report_year"},
    "documents": {"description": "every document seen (pages and attachments), parsed or not, with its status "
                                 "and error", "key": ["source_url", "document_sha256"], "partition": None},
}
