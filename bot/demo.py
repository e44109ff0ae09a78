"""The demo project, written as console lines so it goes through the real commands.

It starts two weeks ago; ``:wait <duration>`` (demo only) moves the clock on without running
the scheduler, so the history, the stand-up and the retrospective have a believable past.
"""

from __future__ import annotations

from datetime import timedelta

DEMO_PROJECT = "618 大促 App 新版上线"
DEMO_STARTS_AGO = timedelta(days=14)

DEMO_SCRIPT = """
:as alice
dept add 研发部 leader:@bob tz:Asia/Shanghai region:华东
dept add 市场部 leader:@carol tz:Asia/Shanghai region:华南
dept add 运维部 leader:@dave tz:Asia/Shanghai
dept add 财务部 leader:@erin tz:Asia/Shanghai
member @alice dept:研发部
member @frank dept:研发部 tz:America/Los_Angeles
member @grace dept:市场部
project new "618 大促 App 新版上线" goal:"3个月内上线新版，用户增长20%" start:D-16 end:D+80 depts:研发部,市场部,运维部,财务部 sponsor:@erin coordinator:@carol
phase add 需求调研 milestone:D+4
phase add 方案设计 milestone:D+13
phase add 开发测试 milestone:D+40
phase add 上线推广 milestone:D+75
task add "需求文档" phase:需求调研 owner:@frank due:D+3 std:"包含用户画像、功能清单"
task add "竞品分析" phase:需求调研 owner:@grace due:D+6
task add "技术方案评审" phase:方案设计 owner:@bob due:D+12 std:"架构图、接口清单、风险评估"
task add "活动页视觉稿" phase:方案设计 owner:@grace due:D+11
task add "服务器扩容" phase:开发测试 owner:@dave due:D+21 after:T3
task add "登录模块开发" phase:开发测试 owner:@frank due:D+28 after:T3
task add "预算申请" phase:方案设计 owner:@erin due:D+17
task add "上线发布会" phase:上线推广 owner:@carol due:D+64
task T1 start
:wait 2d
task T1 review
task T1 done "https://docs.example.com/prd-v1"
:as grace
task T2 start
:wait 3d
task T2 review
task T2 done "竞品分析报告 v2"
task T4 start
:as bob
task T3 start
task T3 raci R:@bob,研发部 A:@alice C:运维部 I:市场部,@erin
phase edit 需求调研 reached:D-0
:wait 6d
:as frank
task T6 start
task T6 block "等待技术方案评审结论"
:wait 1d
:as erin
task T7 start
task T7 review
:as dave
task T5 start
:as grace
issue report "活动页在 iOS 上白屏" urgency:高 depts:研发部,市场部 category:兼容性 desc:"iOS 16 打开活动页白屏"
:as carol
issue I1 triage primary:研发部 support:市场部 owner:@frank eta:D+2
:as frank
issue I1 progress "已定位到 WebView 缓存问题，修复中"
:as grace
request new budget "618 投放预算" amount:20000 from:D+20 to:D+35 purpose:"618大促活动支持" return:"发票核销" dept:财务部
:as carol
request R1 approve
:wait 1d
:as bob
issue report "登录偶发超时" urgency:中 depts:研发部,运维部 category:登录
"""
