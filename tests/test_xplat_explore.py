from tests.console_driver import ConsoleDriver

async def test_explore(console: ConsoleDriver) -> None:
    out = await console.run("""
        :in feishu:hq
        :as feishu:zhang
        项目 新建 "出海" 参与部门:总部,财务部
        部门 修改 财务部 领导:@zhao
        任务 新建 "市场调研" 负责人:@li 截止:11-24
        :in slack:sales
        :as slack:mike
        settings locale:en tz:America/New_York
        project bind P1
        dept add Sales leader:@mike
        task add "Customer list" owner:@mike due:11-25
        board
        project groups
        :in feishu:hq
        看板
        项目 群组
        :in slack:sales
        request new budget "Trade fair booth" amount:3000 from:12-01 to:12-05 purpose:"fair" return:"n/a"
    """)
    print(out)
    assert 0


async def test_explore2(console: ConsoleDriver) -> None:
    out = await console.run("""
        :in feishu:hq
        :as feishu:zhang
        部门 新建 财务部 领导:@zhao
        项目 新建 "出海" 参与部门:总部,财务部
        :in slack:sales
        :as slack:mike
        settings locale:en tz:America/New_York
        project bind P1
        dept add Sales leader:@mike
        request new budget "Trade fair booth" amount:3000 from:12-01 to:12-05 purpose:"fair" return:"n/a"
        :in feishu:hq
        :as feishu:zhao
        :click 1 feishu:hq
    """)
    print(out)
    assert 0
