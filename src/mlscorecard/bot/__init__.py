"""The pull-request bot: audit both sides (`audits`), build the comment from the ResultDiff
(`comment`) and post it through a host (`mlscorecard.hosts`); `cli` holds the click commands
`diff` and `comment`. The comment step can run from a diff JSON alone, never auditing code."""
